import t from 'tap';
import { createTables, tableNames } from '../../app/store/index.js';
import { startApp, type AppHandle } from '../../app/server.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLogger } from '../../lib/log.js';
import { testDynalite } from '../helpers/dynalite.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(180_000); // generous: the shared machine can be slow

type Json = Record<string, unknown> & { id: string };

async function call(app: AppHandle, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const redis = await testRedis(t.teardown);
const db = await testDynalite(t.teardown);
const app = await startApp(
  { port: 0, auth: 'off', redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: db.endpoint }, tablePrefix: 'api-', createTables: true, heartbeatIntervalMs: 100, monitorIntervalMs: 100 },
  { log: createLogger('app', 'silent') },
);
t.teardown(() => app.close());

t.test('started app registers itself ready and answers health checks', async (t) => {
  const s = await redis.fleet.registry.get(app.id);
  t.match(s, { state: 'ready', address: app.address, provider: 'manual', bootId: app.bootId });
  t.equal((await call(app, 'GET', '/healthz')).status, 200);
  t.match(await call(app, 'GET', '/readyz'), { status: 200, body: { status: 'ready', db: { ok: true } } });
  const metrics = await fetch(`${app.url}/metrics`).then((r) => r.text());
  t.match(metrics, new RegExp(`shoal_http_requests_total\\{method="GET",route="/readyz",status_class="2xx",service="app",server="${app.id}"\\} 1\\n`));
  t.match(metrics, /shoal_http_request_duration_seconds_bucket\{[^}]*le="0.1"/, 'a bucket at 100 ms');
  t.match(metrics, /shoal_process_cpu_user_seconds_total\{service="app"/, 'default process metrics, same prefix and labels');
  // The request monitor writes this server's hash under its address.
  await waitFor(async () => ((await redis.fleet.requests.read(app.address))?.total ?? 0) >= 3, { what: 'request monitor totals' });
  const after = await fetch(`${app.url}/metrics`).then((r) => r.text());
  t.match(after, /shoal_monitor_flushes_total\{monitor="request",outcome="ok"/, "the monitors' own series");
});

t.test('users: create, read, patch, delete', async (t) => {
  const created = await call(app, 'POST', '/api/v1/users', { fname: 'Ada', lname: 'Lovelace', email: 'ada@example.com' });
  t.equal(created.status, 201);
  t.match(created.body, { fname: 'Ada', lname: 'Lovelace', email: 'ada@example.com', id: /^[0-9a-f-]{36}$/ });
  t.equal(created.headers.get('location'), `/api/v1/users/${created.body.id}`);
  const id = created.body.id;
  t.same((await call(app, 'GET', `/api/v1/users/${id}`)).body, created.body);
  t.same((await call(app, 'GET', `/api/v1/users/${id.toUpperCase()}`)).body, created.body, 'ids are case-insensitive');
  const patched = await call(app, 'PATCH', `/api/v1/users/${id}`, { email: 'ada@analytical.engine' });
  t.equal(patched.status, 200);
  t.match(patched.body, { id, fname: 'Ada', email: 'ada@analytical.engine' });
  t.equal((await call(app, 'GET', `/api/v1/users/${id}`)).body.email, 'ada@analytical.engine');
  t.equal((await call(app, 'DELETE', `/api/v1/users/${id}`)).status, 204);
  t.equal((await call(app, 'GET', `/api/v1/users/${id}`)).status, 404);
  t.equal((await call(app, 'DELETE', `/api/v1/users/${id}`)).status, 404);
  t.equal((await call(app, 'PATCH', `/api/v1/users/${id}`, { fname: 'x' })).status, 404);
});

t.test('music: create, read, paginate with limit/cursor, delete', async (t) => {
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    const r = await call(app, 'POST', '/api/v1/music', { artist: `Artist ${i}`, title: `Song ${i}`, ...(i % 2 ? { instruments: ['piano', 'bass'] } : {}) });
    t.equal(r.status, 201);
    ids.push(r.body.id);
  }
  const one = await call(app, 'GET', `/api/v1/music/${ids[1]}`);
  t.match(one.body, { id: ids[1], artist: 'Artist 1', title: 'Song 1', instruments: ['piano', 'bass'] });
  t.same((await call(app, 'GET', `/api/v1/music/${ids[0]}`)).body.instruments, [], 'instruments default to []');

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const q: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3';
    const page = (await call(app, 'GET', `/api/v1/music${q}`)).body as unknown as { items: Json[]; next: string | null };
    t.ok(page.items.length <= 3);
    seen.push(...page.items.map((s) => s.id));
    cursor = page.next;
    pages++;
  } while (cursor && pages < 10);
  t.same([...seen].sort(), [...ids].sort(), 'every song exactly once across pages');
  t.ok(pages >= 3);

  t.equal((await call(app, 'DELETE', `/api/v1/music/${ids[0]}`)).status, 204);
  t.equal((await call(app, 'GET', `/api/v1/music/${ids[0]}`)).status, 404);
});

t.test('playlists: create with owner and songs, rename, add and remove songs, delete', async (t) => {
  const owner = (await call(app, 'POST', '/api/v1/users', { fname: 'Grace', lname: 'Hopper', email: 'grace@example.com' })).body.id;
  const s1 = (await call(app, 'POST', '/api/v1/music', { artist: 'A', title: 'One' })).body.id;
  const s2 = (await call(app, 'POST', '/api/v1/music', { artist: 'B', title: 'Two' })).body.id;

  const created = await call(app, 'POST', '/api/v1/playlists', { name: 'Focus', owner, songs: [s1] });
  t.equal(created.status, 201);
  t.match(created.body, { name: 'Focus', owner, songs: [s1] });
  t.notOk('version' in created.body, 'internal fields stay internal');
  const id = created.body.id;

  t.match((await call(app, 'PATCH', `/api/v1/playlists/${id}`, { name: 'Deep Focus' })).body, { id, name: 'Deep Focus', songs: [s1] });
  t.match((await call(app, 'POST', `/api/v1/playlists/${id}/songs`, { songId: s2 })).body, { songs: [s1, s2] });
  t.match((await call(app, 'POST', `/api/v1/playlists/${id}/songs`, { songId: s2 })).body, { songs: [s1, s2] }, 'adding twice keeps one');
  t.match((await call(app, 'DELETE', `/api/v1/playlists/${id}/songs/${s1}`)).body, { songs: [s2] });
  t.equal((await call(app, 'DELETE', `/api/v1/playlists/${id}/songs/${s1}`)).status, 404, 'song no longer in the playlist');
  t.match((await call(app, 'GET', `/api/v1/playlists/${id}`)).body, { id, name: 'Deep Focus', owner, songs: [s2] });

  const anonymous = await call(app, 'POST', '/api/v1/playlists', { name: 'No owner' });
  t.equal(anonymous.status, 201);
  t.same(anonymous.body.songs, []);
  const list = (await call(app, 'GET', '/api/v1/playlists?limit=100')).body as unknown as { items: Json[]; next: string | null };
  t.ok(list.items.some((p) => p.id === id));

  t.equal((await call(app, 'DELETE', `/api/v1/playlists/${id}`)).status, 204);
  t.equal((await call(app, 'GET', `/api/v1/playlists/${id}`)).status, 404);
});

t.test('concurrent song additions to one playlist all land', async (t) => {
  const p = (await call(app, 'POST', '/api/v1/playlists', { name: 'Busy' })).body.id;
  const songs = await Promise.all([0, 1, 2, 3, 4].map(async (i) => (await call(app, 'POST', '/api/v1/music', { artist: 'C', title: `T${i}` })).body.id));
  const res = await Promise.all(songs.map((songId) => call(app, 'POST', `/api/v1/playlists/${p}/songs`, { songId })));
  t.same(res.map((r) => r.status), [200, 200, 200, 200, 200]);
  t.same([...((await call(app, 'GET', `/api/v1/playlists/${p}`)).body.songs as string[])].sort(), [...songs].sort());
});

t.test('tables create is idempotent and safe when run concurrently', async (t) => {
  const client = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  t.teardown(() => client.destroy());
  const names = tableNames('race-');
  const results = await Promise.all([1, 2, 3].map(() => createTables(client, names, db.endpoint)));
  const created = results.flatMap((r) => r.created);
  t.same([...created].sort(), Object.values(names).sort(), 'each table created exactly once');
  t.same((await createTables(client, names, db.endpoint)).created, [], 'again: nothing to create');
});
