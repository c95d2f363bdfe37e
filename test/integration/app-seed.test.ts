import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openDynamo } from '../../app/dynamodb/client.js';
import { seedSamples } from '../../app/seed/index.js';
import { createTables, Stores, tableNames } from '../../app/store/index.js';
import { testDynalite } from '../helpers/dynalite.js';
import { spawnShoal } from '../helpers/proc.js';

t.setTimeout(180_000); // generous: the shared machine can be slow

const dynalite = await testDynalite(t.teardown);
const db = await openDynamo({ choice: { kind: 'endpoint', url: dynalite.endpoint }, dataDir: ':memory:', envCredentials: false });
t.teardown(() => db.close());

t.test('the sample CSVs load, and loading them again changes nothing', async (t) => {
  const names = tableNames('samples-');
  await createTables(db.client, names, db.target);
  const bad: string[] = [];
  const first = await seedSamples(db, names, (f, line, msg) => bad.push(`${f}:${line}: ${msg}`));
  t.same(bad, []);
  t.same(
    first.map((r) => [r.table, r.rows, r.written, r.unchanged, r.skipped]),
    [
      ['samples-users', 20, 20, 0, 0],
      ['samples-music', 60, 60, 0, 0],
      ['samples-playlists', 10, 10, 0, 0],
    ],
  );
  const stores = new Stores(db, names);
  const songs = await stores.music.page(100);
  t.equal(songs.items.length, 60);
  const ada = await stores.users.get('bd185c6d-32dd-53f4-bdac-b10080d144ea');
  t.match(ada, { fname: 'Ada', lname: 'Lovelace', email: 'ada.lovelace@example.com' });
  const playlists = (await stores.playlists.page(100)).items;
  t.equal(playlists.length, 10);
  const ids = new Set(songs.items.map((s) => s.id));
  t.ok(playlists.every((p) => p.songs.length > 0 && p.songs.every((s) => ids.has(s))), 'every playlist song exists');

  const again = await seedSamples(db, names);
  t.same(
    again.map((r) => [r.written, r.unchanged]),
    [
      [0, 20],
      [0, 60],
      [0, 10],
    ],
    'idempotent re-run',
  );
  t.same(await stores.users.get(ada!.id), ada, 'records untouched');
});

t.test('shoal seed: bad rows reported with their line number and skipped, the rest loads; no id column → stable ids', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-seed-'));
  const users = join(dir, 'users.csv');
  writeFileSync(
    users,
    [
      'fname,lname,email',
      'Ada,Lovelace,ada@example.com',
      'Bad,Email,not-an-email',
      'Too,Few',
      'Grace,Hopper,grace@example.com',
      'Ada,Lovelace,ada@example.com',
      ',Nameless,n@example.com',
      'Alan,Turing,alan@example.com',
      '',
    ].join('\n'),
  );
  const music = join(dir, 'music.csv');
  writeFileSync(music, 'id,artist,title,instruments\n6ba7b810-9dad-41d1-80b4-00c04fd430c8,Kraftwerk,Numbers,synthesizer;drums\nnot-a-uuid,X,Y,\n');
  const playlists = join(dir, 'playlists.csv');
  writeFileSync(
    playlists,
    [
      'id,name,owner,songs',
      '0b0c1a57-0000-4000-8000-000000000001,Robots,,6ba7b810-9dad-41d1-80b4-00c04fd430c8',
      '0b0c1a57-0000-4000-8000-000000000002,Ghost songs,,11111111-1111-4111-8111-111111111111',
      '0b0c1a57-0000-4000-8000-000000000003,Ghost owner,22222222-2222-4222-8222-222222222222,',
    ].join('\n'),
  );
  const args = ['seed', '--dynamodb', dynalite.endpoint, '--table-prefix', 'cli-', '--create-tables', '--users', users, '--music', music, '--playlists', playlists];
  const run = spawnShoal(t.teardown, args);
  t.equal(await run.exited(), 0);
  const err = run.stderr();
  t.match(err, /users\.csv:3: email/);
  t.match(err, /users\.csv:4: .*columns/i);
  t.match(err, /users\.csv:6: duplicate id .* \(first on line 2\)/);
  t.match(err, /users\.csv:7: fname must not be empty/);
  t.match(err, /music\.csv:3: id "not-a-uuid" is not a UUID/);
  t.match(err, /playlists\.csv:3: song 11111111-1111-4111-8111-111111111111 is not a known song/);
  t.match(err, /playlists\.csv:4: owner 22222222-2222-4222-8222-222222222222 is not a known user/);
  t.match(run.stdout(), /cli-users\t7 rows\t3 written\t0 unchanged\t4 skipped/);
  t.match(run.stdout(), /cli-music\t2 rows\t1 written\t0 unchanged\t1 skipped/);
  t.match(run.stdout(), /cli-playlists\t3 rows\t1 written\t0 unchanged\t2 skipped/);

  const rerun = spawnShoal(t.teardown, args);
  t.equal(await rerun.exited(), 0);
  t.match(rerun.stdout(), /cli-users\t7 rows\t0 written\t3 unchanged\t4 skipped/, 'derived ids are stable: nothing rewritten');
  const stores = new Stores(db, tableNames('cli-'));
  t.equal((await stores.users.page(100)).items.length, 3);
});

t.test('shoal seed: a CSV missing a required column is refused before loading', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-seed-'));
  const file = join(dir, 'users.csv');
  writeFileSync(file, 'fname,lname\nA,B\n');
  const run = spawnShoal(t.teardown, ['seed', '--dynamodb', dynalite.endpoint, '--table-prefix', 'cols-', '--create-tables', '--users', file]);
  t.equal(await run.exited(), 2);
  t.match(run.stderr(), /users\.csv: missing column email/);
});
