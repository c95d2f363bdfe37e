import t from 'tap';
import { startEmbeddedDynamo } from '../../app/dynamodb/embedded.js';
import { startApp } from '../../app/server.js';
import { createLogger } from '../../lib/log.js';
import { freePort } from '../../lib/free-port.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(180_000); // a safety net, not a timing: generous for a loaded CI machine

const silent = createLogger('app', 'silent');
const json = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
};
const post = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

t.test('DynamoDB going away: 503 with a clear message, /readyz fails, recovers when it returns', async (t) => {
  const redis = await testRedis(t.teardown);
  const db = await startEmbeddedDynamo(':memory:');
  t.teardown(() => db.close());
  const app = await startApp(
    { port: 0, auth: 'off', redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: db.endpoint }, createTables: true },
    { log: silent },
  );
  t.teardown(() => app.close());
  t.equal((await json(`${app.url}/api/v1/music`, post({ artist: 'A', title: 'T' }))).status, 201);
  t.equal((await json(`${app.url}/readyz`)).status, 200);

  await db.close();
  const down = await json(`${app.url}/api/v1/music`, post({ artist: 'A', title: 'T' }));
  t.equal(down.status, 503);
  t.equal(down.body.error?.code, 'SHOAL_ERR_DB_UNAVAILABLE');
  t.match(down.body.error?.message, /DynamoDB at http:\/\/127\.0\.0\.1:\d+ is unreachable/);
  t.equal(down.headers.get('retry-after'), '1');
  t.equal((await json(`${app.url}/api/v1/music?limit=5`)).status, 503);
  const ready = await waitFor(async () => {
    const r = await json(`${app.url}/readyz`);
    return r.status === 503 ? r : undefined;
  }, { what: '/readyz 503' });
  t.match(ready.body, { status: 'unavailable', db: { ok: false, message: /unreachable/ } });
  t.equal((await json(`${app.url}/healthz`)).status, 200, 'still alive');
  t.equal((await json(`${app.url}/api/v1/users`, post({ nope: 1 }))).status, 400, 'bad input is still a 400, not a 503');
});

t.test('DynamoDB unreachable from the start, and tables missing', async (t) => {
  const redis = await testRedis(t.teardown);
  const port = await freePort();
  const app = await startApp({ port: 0, auth: 'off', redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: `http://127.0.0.1:${port}` } }, { log: silent });
  t.teardown(() => app.close());
  t.equal((await json(`${app.url}/readyz`)).status, 503);
  t.equal((await json(`${app.url}/api/v1/users/6ba7b810-9dad-41d1-80b4-00c04fd430c8`)).status, 503);

  const db = await startEmbeddedDynamo(':memory:');
  t.teardown(() => db.close());
  const noTables = await startApp({ port: 0, auth: 'off', redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: db.endpoint } }, { log: silent });
  t.teardown(() => noTables.close());
  const r = await json(`${noTables.url}/api/v1/music?limit=1`);
  t.equal(r.status, 503);
  t.match(r.body.error?.message, /table is missing.*shoal tables create/);
  t.match((await json(`${noTables.url}/readyz`)).body, { status: 'unavailable', db: { ok: false, message: /table is missing/ } });
});

t.test('marked draining by the fleet: /readyz 503 and Connection: close, still serving', async (t) => {
  const redis = await testRedis(t.teardown);
  const db = await startEmbeddedDynamo(':memory:');
  t.teardown(() => db.close());
  const app = await startApp(
    { port: 0, auth: 'off', redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: db.endpoint }, createTables: true, heartbeatIntervalMs: 50 },
    { log: silent },
  );
  t.teardown(() => app.close());
  await redis.fleet.registry.draining(app.id);
  const r = await waitFor(async () => {
    const r = await json(`${app.url}/readyz`);
    return r.status === 503 ? r : undefined;
  }, { what: 'app learns it is draining' });
  t.match(r.body, { status: 'draining', draining: true });
  t.equal(r.headers.get('connection'), 'close');
  t.equal((await json(`${app.url}/api/v1/music`, post({ artist: 'A', title: 'T' }))).status, 201, 'in-flight work still served');
  await app.close();
  t.equal((await redis.fleet.registry.get(app.id))?.state, 'gone');
});

t.test('Redis down at start: the app serves anyway and registers once Redis is back', async (t) => {
  const redis = await testRedis(t.teardown);
  await redis.server.stop();
  const db = await startEmbeddedDynamo(':memory:');
  t.teardown(() => db.close());
  const app = await startApp(
    { port: 0, auth: 'off', redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: db.endpoint }, createTables: true, heartbeatIntervalMs: 50, redisWaitMs: 200 },
    { log: silent },
  );
  t.teardown(() => app.close());
  t.equal((await json(`${app.url}/api/v1/music`, post({ artist: 'A', title: 'T' }))).status, 201);
  await redis.restart();
  const s = await waitFor(() => redis.fleet.registry.get(app.id), { what: 'registry entry after Redis returns', timeoutMs: 15_000 });
  t.equal(s.state, 'ready');
});
