import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { openDynamo } from '../../app/dynamodb/client.js';
import { fingerprint } from '../../app/http/idempotency.js';
import { IdempotencyStore } from '../../app/store/idempotency.js';
import { Stores, tableNames } from '../../app/store/index.js';
import { getJson, startProxy } from '../fixtures/backend.js';
import { spawnShoal } from '../helpers/proc.js';
import { testDynalite } from '../helpers/dynalite.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

// Idempotency-Key with real processes: two `shoal app`s on one dynalite, a `shoal proxy`,
// and a relay in front of each app that can cut a connection after the app has answered.

t.setTimeout(180_000);

const r = await testRedis(t.teardown);
const db = await testDynalite(t.teardown);
const TABLES = 'idem-';
const startApp = async (name: string) => {
  // the apps register under their own prefix: the proxy's pool holds the relays instead
  const p = spawnShoal(t.teardown, [
    'app', '--port', '0', '--redis', r.url, '--prefix', `${r.prefix}apps:`, '--dynamodb', db.endpoint, '--table-prefix', TABLES, '--create-tables', '--idempotency-lease', '1s', '--auth', 'off',
  ]);
  const url = (await p.waitForOutput(/ready at (http:\/\/\S+)/, 60_000))[1]!;
  return { name, url, proc: p };
};
const [a, b] = await Promise.all([startApp('a'), startApp('b')]);
const dynamo = await openDynamo({ choice: { kind: 'endpoint', url: db.endpoint }, dataDir: ':memory:', envCredentials: false });
t.teardown(() => dynamo.close());
const stores = new Stores(dynamo, tableNames(TABLES));

const post = (url: string, path: string, body: unknown, key?: string) =>
  getJson(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify(body) });
/** Songs stored with this title, read straight from DynamoDB. */
const songsTitled = async (title: string) => {
  const all = [];
  let cursor: string | undefined;
  do {
    const page = await stores.music.page(100, cursor);
    all.push(...page.items);
    cursor = page.next ?? undefined;
  } while (cursor);
  return all.filter((s) => s.title === title);
};

t.test('a repeat gets the first answer; another body or path with the same key is a 409', async (t) => {
  const key = randomUUID();
  const song = { artist: 'Idem', title: `once-${key}` };
  const first = await post(a.url, '/api/v1/music', song, key);
  t.equal(first.status, 201);
  const again = await post(b.url, '/api/v1/music', song, key);
  t.equal(again.status, 201, 'a repeat on another server');
  t.same(again.body, first.body, 'the same answer, the same id');
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.equal(again.headers.location, first.headers.location);
  t.equal((await songsTitled(song.title)).length, 1, 'exactly one song stored');

  const other = await post(a.url, '/api/v1/music', { ...song, title: 'something else' }, key);
  t.equal(other.status, 409);
  t.match(other.body, { error: { code: 'SHOAL_ERR_IDEMPOTENCY_KEY_REUSED', message: String } });
  const otherPath = await post(a.url, '/api/v1/users', { fname: 'a', lname: 'b', email: 'a@b.co' }, key);
  t.match(otherPath, { status: 409, body: { error: { code: 'SHOAL_ERR_IDEMPOTENCY_KEY_REUSED' } } });
  t.match(await post(a.url, '/api/v1/music', song, 'two words'), { status: 400, body: { error: { code: 'SHOAL_ERR_INVALID_IDEMPOTENCY_KEY' } } });
});

t.test('a body that fails validation is refused without touching the key: a retry with a fixed body runs as the first', async (t) => {
  const key = randomUUID();
  const song = { artist: 'Idem', title: `fixed-${key}` };
  const bad = await post(a.url, '/api/v1/music', { artist: 'Idem' }, key);
  t.match(bad, { status: 400, body: { error: { code: 'SHOAL_ERR_VALIDATION' } } }, 'song missing title');
  t.equal(bad.headers['idempotent-replayed'], undefined);
  t.equal(await stores.idempotency.get(key), undefined, 'no idempotency record: nothing claimed, nothing stored');

  const fixed = await post(b.url, '/api/v1/music', song, key);
  t.equal(fixed.status, 201, 'the same key with a valid body creates the song');
  t.equal(fixed.headers['idempotent-replayed'], undefined, 'and is not a replay');
  const replay = await post(a.url, '/api/v1/music', song, key);
  t.match(replay, { status: 201, headers: { 'idempotent-replayed': 'true' } }, 'a repeat gets the stored answer');
  t.same(replay.body, fixed.body);
  t.equal((await songsTitled(song.title)).length, 1, 'exactly one song stored');
  t.match(await stores.idempotency.get(key), { state: 'done', answer: { status: 201 } });
});

t.test('concurrent duplicates: one runs, the others are told it is in progress or get its answer', async (t) => {
  const key = randomUUID();
  const song = { artist: 'Idem', title: `race-${key}` };
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => post(i % 2 ? a.url : b.url, '/api/v1/music', song, key)));
  const created = answers.filter((x) => x.status === 201);
  t.ok(created.length >= 1, 'at least one 201');
  t.equal(created.filter((x) => x.headers['idempotent-replayed'] === undefined).length, 1, 'exactly one ran');
  t.equal(new Set(created.map((x) => x.body.id)).size, 1, 'every 201 names the same song');
  for (const x of answers.filter((x) => x.status !== 201)) {
    t.match(x, { status: 409, body: { error: { code: 'SHOAL_ERR_IDEMPOTENCY_KEY_IN_PROGRESS' } } });
    t.ok(Number(x.headers['retry-after']) >= 1, 'with Retry-After');
  }
  t.equal((await songsTitled(song.title)).length, 1, 'exactly one song stored');
});

t.test('a server that died after storing the song but before the answer: a retry after the lease makes no second song', async (t) => {
  const key = randomUUID();
  const song = { artist: 'Idem', title: `crash-${key}` };
  // what the dead server left behind: its claim (lease 1.5 s) and the song it wrote under the claim's seed
  const dead = new IdempotencyStore({ doc: dynamo.doc, client: dynamo.client, target: dynamo.target }, tableNames(TABLES).idempotency, 1500);
  const claim = await dead.claim(key, fingerprint('POST', '/api/v1/music', '', song));
  if (claim.kind !== 'claimed') throw new Error(`expected a claim, got ${claim.kind}`);
  const written = await stores.within({ ids: { seed: claim.seed, n: 0 } }).music.create(song);

  const during = await post(a.url, '/api/v1/music', song, key);
  t.match(during, { status: 409, body: { error: { code: 'SHOAL_ERR_IDEMPOTENCY_KEY_IN_PROGRESS' } } }, 'while the lease lasts');
  const after = await waitFor(async () => {
    const x = await post(b.url, '/api/v1/music', song, key);
    return x.status === 201 ? x : undefined;
  }, { timeoutMs: 15_000, what: 'the lease to run out' });
  t.equal(after.body.id, written.id, 'the retry answers with the song the dead server stored');
  t.equal((await songsTitled(song.title)).length, 1, 'exactly one song stored');
  t.same((await post(a.url, '/api/v1/music', song, key)).body, after.body, 'and that answer is kept for later repeats');
});

/**
 * A TCP relay to `target` registered in the proxy's pool. While `cut.armed`, the first POST
 * through any relay reaches its app, which answers, and then the relay drops the proxy's
 * connection without passing the answer on: the proxy sees the connection break after
 * sending, the case where the outcome is unknown.
 */
const cut = { armed: false, done: 0 };
async function relay(id: string, target: string): Promise<Server> {
  const to = new URL(target);
  const server = createServer((down: Socket) => {
    const up = connect({ host: to.hostname, port: Number(to.port) });
    let cutting = false;
    down.on('data', (d: Buffer) => {
      if (cut.armed && d.toString('latin1').startsWith('POST ')) {
        cut.armed = false;
        cutting = true;
      }
      up.write(d);
    });
    up.on('data', (d: Buffer) => {
      if (!cutting) return void down.write(d);
      cut.done++;
      down.destroy();
      up.destroy();
    });
    const close = () => (down.destroy(), up.destroy());
    down.on('error', close).on('close', close);
    up.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  await r.fleet.registry.ready(id, { address, provider: 'test', bootId: randomUUID(), host: 'localhost', instanceId: id });
  return server;
}

t.test('through the proxy: a POST whose connection breaks after the app answered', async (t) => {
  await relay('relay-a', a.url);
  await relay('relay-b', b.url);
  const proxy = await startProxy(t.teardown, r, ['--health-interval', '200ms']);
  await waitFor(async () => (await proxy.pool()).members.filter((m) => m.up).length === 2, { timeoutMs: 20_000, what: 'both relays in the pool' });

  t.test('with a key: resent to the other server, which answers with the stored answer', async (t) => {
    const key = randomUUID();
    const song = { artist: 'Idem', title: `proxy-${key}` };
    cut.armed = true;
    const res = await post(proxy.url, '/api/v1/music', song, key);
    t.equal(cut.done, 1, 'the first attempt was cut after the app answered');
    t.equal(res.status, 201, 'the client still gets its 201');
    t.equal(res.headers['idempotent-replayed'], 'true', 'from the stored answer');
    const stored = await songsTitled(song.title);
    t.equal(stored.length, 1, 'exactly one song stored');
    t.equal(res.body.id, stored[0]!.id);
    const metrics = String((await getJson(`${proxy.adminUrl}/metrics`)).body.raw);
    t.match(metrics, /shoal_proxy_retries_total\{[^}]*outcome="retried"[^}]*\} 1\b/);
  });

  t.test('without a key: not resent (the outcome is unknown), 502', async (t) => {
    const song = { artist: 'Idem', title: `nokey-${randomUUID()}` };
    cut.armed = true;
    const res = await post(proxy.url, '/api/v1/music', song);
    t.equal(cut.done, 2);
    t.match(res, { status: 502, body: { error: { code: 'SHOAL_ERR_UPSTREAM_FAILED' } } });
    t.equal((await songsTitled(song.title)).length, 1, 'the song was stored all the same: only a key makes a retry safe');
  });
});
