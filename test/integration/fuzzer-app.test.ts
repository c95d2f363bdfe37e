import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { request } from 'undici';
import { startApp } from '../../app/server.js';
import { generate } from '../../fuzzer/generate.js';
import { prepareFixtures, cleanupFixtures } from '../../load/fixtures.js';
import { compile, render } from '../../load/request.js';
import { runLoad } from '../../load/run.js';
import { Prng } from '../../fuzzer/prng.js';
import { poolsUsed, serializeTestsFile } from '../../fuzzer/templates.js';
import { createLogger } from '../../lib/log.js';
import { testDynalite } from '../helpers/dynalite.js';
import { spawnShoal } from '../helpers/proc.js';
import { testRedis } from '../helpers/redis.js';

t.setTimeout(240_000); // a safety net, not a timing: generous for a loaded CI machine

const log = createLogger('test', 'silent');
const redis = await testRedis(t.teardown);
const db = await testDynalite(t.teardown);
const app = await startApp(
  { port: 0, auth: 'off', redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: db.endpoint }, tablePrefix: 'fuzz-', createTables: true },
  { log },
);
t.teardown(() => app.close());
const base = app.url;

async function call(method: string, path: string, body?: unknown) {
  const res = await request(base + path, { method: method as 'GET', headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
}
const ids = async (path: string) => ((await call('GET', `${path}?limit=100`)).json.items as { id: string }[]).map((x) => x.id).sort();

// A catalogue the run must leave intact.
const songA = (await call('POST', '/api/v1/music', { artist: 'Nina Simone', title: 'Feeling Good' })).json.id as string;
const songB = (await call('POST', '/api/v1/music', { artist: 'Björk', title: 'Hyperballad' })).json.id as string;

t.test('every invalid template gets a 4xx from the app, never a 5xx', async (t) => {
  // several seeds, so every drawn variant (bad ids, bodies, headers) is covered
  const seen = new Map<string, ReturnType<typeof compile>>();
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    for (const tpl of generate({ target: base, seed, count: 80 }).templates) {
      if (tpl.class !== 'invalid') continue;
      seen.set(JSON.stringify([tpl.method, tpl.path, tpl.headers, tpl.body]), compile(tpl.id, tpl));
    }
  }
  const fixtures = await prepareFixtures(base, new Set(['song', 'user', 'playlist']), log);
  t.teardown(() => cleanupFixtures(base, fixtures, log));
  const rng = new Prng(1);
  const pick = (k: 'song' | 'user' | 'playlist') => fixtures.pools[k][Math.floor(rng.next() * fixtures.pools[k].length)];
  const bad: string[] = [];
  for (const req of seen.values()) {
    const r = render(req, { pick, seq: 0 });
    const res = await request(base + r.path, { method: r.method as 'GET', headers: r.headers, body: r.body ?? undefined });
    await res.body.dump();
    if (res.statusCode < 400 || res.statusCode >= 500) bad.push(`${res.statusCode} ${req.name}: ${r.method} ${r.path.slice(0, 80)} ${r.body?.slice(0, 80) ?? ''}`);
  }
  t.ok(seen.size >= 40, `${seen.size} distinct invalid requests`);
  t.same(bad, [], 'all refused with a 4xx');
});

t.test('stateful chains pass ids along and delete only what they created', async (t) => {
  const before = { songs: await ids('/api/v1/music'), users: await ids('/api/v1/users'), playlists: await ids('/api/v1/playlists') };
  const file = generate({ target: base, seed: 11 });
  const s = await runLoad(
    {
      parts: [
        {
          file: { templates: [], chains: file.chains },
          model: { kind: 'closed', users: 2, thinkMs: 0, durationMs: 20_000 },
          connections: 2,
          // small enough that the cap cuts chains mid-way: their DELETE steps must still run
          maxRequests: 60,
        },
      ],
      target: base,
      timeoutMs: 10_000,
      lateMs: 100,
      maxQueue: 100,
      noWait: false,
      maxSockets: 1,
      holdMs: 1000,
      seed: 1,
      setup: true,
    },
    log,
  );
  t.ok(s.chains.completed >= 2, `${s.chains.completed} chains completed`);
  t.equal(s.requests.total, 60);
  t.ok(s.requests.capped);
  t.same(s.ended, { reason: 'request-cap', early: true }, 'the report says the cap ended it early');
  t.equal(s.chains.aborted, 0, 'no chain stopped early: every saved id worked in the next step');
  t.equal(s.requests.errors, 0);
  t.same(s.findings, []);
  t.ok((s.statuses['404'] ?? 0) > 0, 'reads after a chain deleted its own entity are 404s');
  t.same(await ids('/api/v1/music'), before.songs, 'the catalogue is intact');
  t.ok(before.songs.includes(songA) && before.songs.includes(songB));
  t.same(await ids('/api/v1/users'), before.users, 'chain and fixture users are gone');
  t.same(await ids('/api/v1/playlists'), before.playlists, 'chain and fixture playlists are gone');
});

t.test('shoal load with a generated file: no 5xx, no findings, a JSON summary', async (t) => {
  const dir = tmpdir();
  const tests = join(dir, `load-app-${process.pid}.json`);
  const out = join(dir, `load-app-${process.pid}.out.json`);
  await writeFile(tests, serializeTestsFile(generate({ target: base, seed: 3 })));
  t.ok(poolsUsed(generate({ target: base, seed: 3 })).size === 3);
  const p = spawnShoal(t.teardown, ['load', '--tests', tests, '--rate', '40', '--duration', '2s', '--json', out, '--threshold', 'findings<1']);
  t.equal(await p.exited(), 0, p.stderr());
  const s = JSON.parse(await readFile(out, 'utf8'));
  t.equal(s.requests.total, 80);
  t.same(s.findings, []);
  t.notOk(Object.keys(s.statuses).some((k) => k.startsWith('5')), `statuses ${JSON.stringify(s.statuses)}`);
  t.match(p.stdout(), /findings: none/);
});
