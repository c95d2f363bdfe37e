import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import t from 'tap';
import { tableNames } from '../../app/store/table-names.js';
import { freePort } from '../../lib/free-port.js';
import { testDynalite, type TestDynalite } from '../helpers/dynalite.js';
import { ROOT, spawnShoal } from '../helpers/proc.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(180_000); // a safety net for a loaded machine, not a timing

const READY = /shoal app (\S+) ready at http:\/\/(\S+)/;
const SAMPLES = ['--users', `${ROOT}samples/users.csv`, '--music', `${ROOT}samples/music.csv`, '--playlists', `${ROOT}samples/playlists.csv`];

/** Items in every shoal table, by table. */
async function itemCounts(db: TestDynalite): Promise<Record<string, number>> {
  const client = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const out: Record<string, number> = {};
  for (const name of Object.values(tableNames())) out[name] = (await client.send(new ScanCommand({ TableName: name, Select: 'COUNT' }))).Count ?? 0;
  client.destroy();
  return out;
}

t.test('a started app warms up before it is ready; its warm-up is neither counted nor written', async (t) => {
  const redis = await testRedis(t.teardown);
  const db = await testDynalite(t.teardown);
  const seed = spawnShoal(t.teardown, ['seed', '--create-tables', '--dynamodb', db.endpoint, ...SAMPLES]);
  t.equal(await seed.exited(), 0, 'sample data loaded');
  const before = await itemCounts(db);

  await redis.fleet.registry.launching('srv-w', { provider: 'local', instanceId: 'i-w' });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The default --warm-up (the helper turns it off for other tests); a generous ceiling for a slow machine.
  const app = spawnShoal(t.teardown, ['app', '--port', String(port), '--dynamodb', db.endpoint, '--monitor-interval', '100ms', '--warm-up-time', '60s'], {
    env: { REDIS_URL: redis.url, SHOAL_PREFIX: redis.prefix, SHOAL_SERVER_ID: 'srv-w', SHOAL_LOG_LEVEL: 'info', SHOAL_APP_WARM_UP: undefined },
  });

  // Ask /readyz until it answers 200; every answer is one request the monitor must count.
  let asked = 0;
  const seen: { status: number; body: { status: string }; registry?: string }[] = [];
  await waitFor(
    async () => {
      const res = await fetch(`${base}/readyz`).catch(() => undefined);
      if (!res) return false;
      asked++;
      seen.push({ status: res.status, body: (await res.json()) as { status: string }, registry: (await redis.fleet.registry.get('srv-w'))?.state });
      return res.status === 200;
    },
    { timeoutMs: 90_000, intervalMs: 20, what: '/readyz 200' },
  );
  const warming = seen.filter((s) => s.status === 503);
  t.ok(warming.length > 0, '/readyz answered 503 before it answered 200');
  t.ok(
    warming.every((s) => s.body.status === 'warming' && s.registry === 'launching'),
    'while warming: /readyz says "warming" and the registry entry stays launching',
  );
  await app.waitForOutput(READY, 30_000);
  t.equal((await redis.fleet.registry.get('srv-w'))?.state, 'ready');

  const line = JSON.parse(app.stderr().split('\n').find((l) => l.includes('"warmed up: ready"'))!) as { sent: number; byStatus: Record<string, number>; ended: string };
  t.match(line, { sent: 1000, ended: 'done' }, 'the whole default warm-up ran');
  t.ok((line.byStatus['200'] ?? 0) > 500 && (line.byStatus['404'] ?? 0) > 0 && (line.byStatus['400'] ?? 0) > 0, `reads found the seeded records, and 404s and 400s were asked (${JSON.stringify(line.byStatus)})`);

  // The published totals are the /readyz answers above and nothing of the warm-up's 1,000.
  const stats = await waitFor(async () => {
    const s = await redis.fleet.requests.read(`127.0.0.1:${port}`);
    return s && s.total === asked && s.inflight === 0 ? s : undefined;
  }, { timeoutMs: 20_000, what: `the monitor's total to reach the ${asked} /readyz requests (warm-up requests counted?)` });
  t.match(stats, { total: asked, s2xx: 1, s4xx: 0, s5xx: asked - 1 }, 'monitor totals: only the /readyz answers (503s while warming, one 200)');
  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.notMatch(metrics, /shoal_http_requests_total\{[^}]*route="\/api\/v1\//, 'Prometheus request counts hold no warm-up route');

  t.same(await itemCounts(db), before, 'no item written or removed by the warm-up');
  t.equal(await app.stop(), 0);
});

t.test('--warm-up 0 skips the warm-up: ready at once', async (t) => {
  const redis = await testRedis(t.teardown);
  const db = await testDynalite(t.teardown);
  const app = spawnShoal(t.teardown, ['app', '--port', '0', '--dynamodb', db.endpoint, '--create-tables', '--warm-up', '0'], {
    env: { REDIS_URL: redis.url, SHOAL_PREFIX: redis.prefix, SHOAL_LOG_LEVEL: 'info', SHOAL_APP_WARM_UP: undefined },
  });
  const [, , address] = await app.waitForOutput(READY, 60_000);
  t.notMatch(app.stderr(), /warm/, 'no warm-up logged');
  t.equal((await fetch(`http://${address}/readyz`)).status, 200);
  t.equal(await app.stop(), 0);
});

t.test('DynamoDB not answering: no warm-up, the server still comes up (and says it is unavailable)', async (t) => {
  const redis = await testRedis(t.teardown);
  const dead = await freePort(); // nothing listens there
  const app = spawnShoal(t.teardown, ['app', '--port', '0', '--dynamodb', `http://127.0.0.1:${dead}`], {
    env: { REDIS_URL: redis.url, SHOAL_PREFIX: redis.prefix, SHOAL_APP_WARM_UP: undefined },
  });
  const [, , address] = await app.waitForOutput(READY, 60_000);
  t.match(app.stderr(), /DynamoDB does not answer: no warm-up/);
  const res = await fetch(`http://${address}/readyz`);
  t.match({ status: res.status, body: await res.json() }, { status: 503, body: { status: 'unavailable', warming: false } });
  t.equal(await app.stop(), 0);
});

t.test('a bad warm-up value: one line naming the flag, exit 2', async (t) => {
  for (const [args, env, re] of [
    [['--warm-up', '-1'], {}, /^shoal: invalid --warm-up \(SHOAL_APP_WARM_UP\): .*-1/],
    [[], { SHOAL_APP_WARM_UP: 'lots' }, /^shoal: invalid --warm-up \(SHOAL_APP_WARM_UP\): .*lots/],
    [['--warm-up-time', '0'], {}, /^shoal: invalid --warm-up-time \(SHOAL_APP_WARM_UP_TIME\): expected 1ms to 5m/],
  ] as const) {
    const app = spawnShoal(t.teardown, ['app', '--port', '0', '--dynamodb', 'http://127.0.0.1:9', ...args], { env });
    t.equal(await app.exited(), 2, `exit 2 for ${JSON.stringify(args)} ${JSON.stringify(env)}`);
    const lines = app.stderr().trim().split('\n');
    t.equal(lines.length, 1, 'one line');
    t.match(lines[0], re);
  }
});
