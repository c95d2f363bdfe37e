import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import t from 'tap';
import { startApp } from '../../app/server.js';
import { createTables, tableNames } from '../../app/store/index.js';
import { songIdFor } from '../../ingest/midi-ingest.js';
import { createLogger } from '../../lib/log.js';
import { testS3 } from '../fixtures/s3-server.js';
import { launchChromium } from '../helpers/browser.js';
import { testDynalite } from '../helpers/dynalite.js';
import { midiBytes } from '../helpers/midi.js';
import { ROOT, spawnShoal } from '../helpers/proc.js';
import { testRedis } from '../helpers/redis.js';

t.setTimeout(180_000);

const db = await testDynalite(t.teardown);
const client = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
t.teardown(() => client.destroy());
await createTables(client, tableNames('ing-'), db.endpoint);

const dir = mkdtempSync(join(tmpdir(), 'shoal-ingest-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'sub'));
const files = {
  one: join(dir, 'Band A - Song One.mid'),
  two: join(dir, 'Band B - Song Two.mid'),
  three: join(dir, 'sub', 'Band C - Three.midi'),
};
writeFileSync(files.one, midiBytes([{ channel: 0, program: 0 }, { channel: 1, program: 33 }, { channel: 9 }]));
writeFileSync(files.two, midiBytes([{ channel: 0, program: 0 }, { channel: 1, program: 33 }]));
writeFileSync(files.three, midiBytes([{ channel: 0, program: 40 }, { channel: 1, program: 42 }], { title: 'Three for Strings' }));
writeFileSync(join(dir, 'broken.mid'), 'MThd but nothing after');
writeFileSync(join(dir, 'notes.txt'), 'not a MIDI file name');

const dynamo = ['--dynamodb', db.endpoint, '--table-prefix', 'ing-'];
const idOf = (path: string) => songIdFor(pathToFileURL(path).href);

async function shoal(args: string[]): Promise<{ code: number | string; out: string; err: string }> {
  const p = spawnShoal(t.teardown, args, { env: { AWS_REGION: 'us-east-1' } });
  const code = await p.exited();
  return { code, out: p.stdout(), err: p.stderr() };
}

const redis = await testRedis(t.teardown);
const app = await startApp(
  { port: 0, redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: db.endpoint }, tablePrefix: 'ing-', heartbeatIntervalMs: 100, monitorIntervalMs: 100 },
  { log: createLogger('app', 'silent') },
);
t.teardown(() => app.close());
const get = async (path: string) => {
  const res = await fetch(`${app.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

t.test('ingest midi: instruments exactly as written, corrupt file named and skipped, rerun writes nothing', async (t) => {
  const first = await shoal(['ingest', 'midi', dir, ...dynamo, '--concurrency', '2']);
  t.equal(first.code, 1, 'a skipped corrupt file makes the exit code 1');
  t.match(first.out, /4 files: 3 ingested, 0 unchanged, 1 skipped as corrupt/);
  t.match(first.err, /broken\.mid: not a MIDI file/);
  t.notMatch(first.err, /notes\.txt/, 'non-MIDI names are not even listed');

  t.match((await get(`/api/v1/music/${idOf(files.one)}`)).body, { title: 'Song One', artist: 'Band A', instruments: ['Acoustic Grand Piano', 'Electric Bass (finger)', 'Drum Kit'] });
  t.match((await get(`/api/v1/music/${idOf(files.three)}`)).body, { title: 'Three for Strings', artist: 'Band C', instruments: ['Violin', 'Cello'] });

  const again = await shoal(['ingest', 'midi', dir, ...dynamo, '--concurrency', '0']);
  t.match(again.out, /4 files: 0 ingested, 3 unchanged, 1 skipped as corrupt/, 'second ingest is a no-op');

  const later = new Date(Date.now() + 60_000);
  utimesSync(files.two, later, later);
  t.match((await shoal(['ingest', 'midi', dir, ...dynamo])).out, /1 ingested, 2 unchanged/, 'a touched file is read again');
});

t.test('ingest similar ranks by shared instruments; the API and the incremental run agree', async (t) => {
  t.match((await get(`/api/v1/music/${idOf(files.one)}/similar`)).body, { computedAt: null, items: [] }, 'nothing before the first run');
  const run = await shoal(['ingest', 'similar', ...dynamo]);
  t.equal(run.code, 0, run.err);
  t.match(run.out, /3 songs \(3 new\): 3 lists written/);

  const one = (await get(`/api/v1/music/${idOf(files.one)}/similar?limit=5`)).body as { items: { song: { id: string }; score: number; shared: string[] }[] };
  t.same(one.items.map((i) => [i.song.id, i.score, i.shared]), [[idOf(files.two), 0.666667, ['Acoustic Grand Piano', 'Electric Bass (finger)']]]);
  t.same((await get(`/api/v1/music/${idOf(files.three)}/similar`)).body.items, [], 'strings share nothing with the band songs');
  t.equal((await get(`/api/v1/music/${idOf(files.one)}/similar?limit=0`)).status, 400);
  t.equal((await get('/api/v1/music/8f14e45f-ceea-467f-a8f5-2d1c1b7c3a11/similar')).status, 404);

  // A new song with piano, bass and drums: it is one's best match now, and enters two's list.
  const four = join(dir, 'Band D - Four.mid');
  writeFileSync(four, midiBytes([{ channel: 0, program: 0 }, { channel: 1, program: 33 }, { channel: 9 }]));
  await shoal(['ingest', 'midi', dir, ...dynamo]);
  const inc = await shoal(['ingest', 'similar', ...dynamo]);
  t.match(inc.out, /4 songs \(1 new\): 3 lists written/, 'the new list plus the two lists it enters');
  const after = (await get(`/api/v1/music/${idOf(files.one)}/similar`)).body as { items: { song: { id: string }; score: number }[] };
  t.same(after.items.map((i) => [i.song.id, i.score]), [[idOf(four), 1], [idOf(files.two), 0.666667]]);
  const full = await shoal(['ingest', 'similar', '--full', ...dynamo]);
  t.match(full.out, /4 songs \(4 new\): 4 lists written/);
  t.same(((await get(`/api/v1/music/${idOf(files.one)}/similar`)).body as typeof after).items.map((i) => [i.song.id, i.score]), [[idOf(four), 1], [idOf(files.two), 0.666667]], 'full and incremental agree');
});

t.test('an s3:// source through the real SDK: paginated listing, ETags, resumable', async (t) => {
  const s3 = await testS3(2);
  t.teardown(() => s3.close());
  s3.put('tunes', 'midi/a.mid', midiBytes([{ channel: 0, program: 56 }]));
  s3.put('tunes', 'midi/b.mid', midiBytes([{ channel: 0, program: 57 }]));
  s3.put('tunes', 'midi/deep/c.mid', midiBytes([{ channel: 0, program: 56 }, { channel: 1, program: 57 }]));
  s3.put('tunes', 'other/d.mid', midiBytes([{ channel: 0, program: 1 }]));
  const args = ['ingest', 'midi', 's3://tunes/midi/', ...dynamo, '--s3-endpoint', s3.endpoint];
  const first = await shoal(args);
  t.equal(first.code, 0, first.err);
  t.match(first.out, /3 files: 3 ingested/);
  t.ok(s3.listCalls >= 2, 'the listing followed a continuation token');
  t.match((await get(`/api/v1/music/${songIdFor('s3://tunes/midi/deep/c.mid')}`)).body, { title: 'c', instruments: ['Trumpet', 'Trombone'] });
  t.match((await shoal(args)).out, /3 files: 0 ingested, 3 unchanged/);
  s3.put('tunes', 'midi/a.mid', midiBytes([{ channel: 0, program: 58 }]));
  t.match((await shoal(args)).out, /1 ingested, 2 unchanged/, 'a new ETag is ingested again');
  const bad = await shoal(['ingest', 'midi', '/no/such/folder', ...dynamo]);
  t.equal(bad.code, 2);
  t.match(bad.err, /invalid source/);
});

t.test('the song page shows instruments and similar songs, linked (headless Chromium)', async (t) => {
  const browser = await launchChromium(t.teardown);
  const page = await browser.newPage();
  await page.goto(`${app.url}/songs/${idOf(files.two)}`);
  t.equal(await page.locator('h1').textContent(), 'Song Two');
  t.same(await page.locator('#instruments li').allTextContents(), ['Acoustic Grand Piano', 'Electric Bass (finger)']);
  const links = page.locator('#similar a');
  t.ok((await links.count()) >= 2, 'similar songs listed');
  await links.first().click();
  await page.waitForURL(/\/songs\//);
  t.match(await page.locator('h1').textContent(), /Song One|Four/, 'a similar song links to its own page');
  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'test-artifacts', 'song-page.png'), fullPage: true });
  const missing = await fetch(`${app.url}/songs/not-an-id`);
  t.equal(missing.status, 404);
  t.match(await missing.text(), /Song not found/);
});
