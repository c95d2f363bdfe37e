import t from 'tap';
import { connectRedis, Fleet, totalDelta } from '../../fleet/index.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(180_000); // a safety net, not a timing: generous for a loaded CI machine

t.test('registry: launching → ready → draining → gone, with pool versions and announcements', async (t) => {
  const r = await testRedis(t.teardown);
  const sub = connectRedis(r.url);
  t.teardown(() => sub.disconnect());
  const changes: { id: string; state: string; version: number }[] = [];
  await r.fleet.registry.onChange(sub, (c) => changes.push(c));

  const v1 = await r.fleet.registry.launching('s1', { provider: 'local', host: 'h1', instanceId: '123' });
  t.ok(v1 > 0);
  const ready = await r.fleet.registry.ready('s1', { address: '127.0.0.1:4000', bootId: 'b1' });
  t.match(ready, { ok: true, state: 'ready' });
  t.ok(ready.version! > v1, 'each change bumps the version');
  let s = await r.fleet.registry.get('s1');
  t.match(s, { id: 's1', state: 'ready', address: '127.0.0.1:4000', provider: 'local', host: 'h1', instanceId: '123', bootId: 'b1' });

  const draining = await r.fleet.registry.draining('s1');
  t.match(draining, { ok: true, state: 'draining' });
  // a late "ready" from the app must not undo the autoscaler's drain
  t.same(await r.fleet.registry.ready('s1', { address: '127.0.0.1:4000' }), { ok: false, state: 'draining' });
  const gone = await r.fleet.registry.gone('s1');
  t.match(gone, { ok: true, state: 'gone' });
  s = await r.fleet.registry.get('s1');
  t.equal(s?.state, 'gone');
  const ttl = await r.client.ttl(r.fleet.keys.server('s1'));
  t.ok(ttl > 0, 'gone entries expire');
  t.equal(await r.fleet.registry.poolVersion(), gone.version);
  await waitFor(() => changes.length === 4, { what: 'four announcements' });
  t.same(
    changes.map((c) => `${c.version}:${c.state}`),
    [v1, ready.version, draining.version, gone.version].map((v, i) => `${v}:${['launching', 'ready', 'draining', 'gone'][i]}`),
  );
});

t.test('registry: an app started by hand creates its own entry; heartbeat re-creates a lost one', async (t) => {
  const r = await testRedis(t.teardown);
  const reg = r.fleet.registry;
  t.equal((await reg.ready('manual', { address: '127.0.0.1:5000', provider: 'manual' })).ok, true);
  t.same((await reg.list()).map((s) => s.id), ['manual']);
  t.equal(await reg.heartbeat('manual', { state: 'ready', address: '127.0.0.1:5000' }), 'ready');
  await r.client.flushall();
  t.equal(await reg.heartbeat('manual', { state: 'ready', address: '127.0.0.1:5000', provider: 'manual' }), 'ready');
  const s = await reg.get('manual');
  t.equal(s?.address, '127.0.0.1:5000');
  t.equal(s?.state, 'ready');
  await reg.draining('manual');
  t.equal(await reg.heartbeat('manual', { state: 'ready' }), 'draining', 'the heartbeat tells the app it is draining');
});

t.test('registry: list prunes expired entries', async (t) => {
  const r = await testRedis(t.teardown);
  await r.fleet.registry.launching('a', { provider: 'local' });
  await r.fleet.registry.launching('b', { provider: 'local' });
  await r.client.del(r.fleet.keys.server('a'));
  t.same((await r.fleet.registry.list()).map((s) => s.id), ['b']);
  t.same(await r.client.smembers(r.fleet.keys.servers), ['b']);
});

t.test('request stats: HSET of absolute totals is idempotent; totalDelta handles resets', async (t) => {
  const r = await testRedis(t.teardown);
  const stats = { serverId: 's', bootId: 'b', total: 10, s2xx: 9, s3xx: 0, s4xx: 1, s5xx: 0, inflight: 2, rps: 1.5, p50Ms: 2, p95Ms: 8, updatedAt: 1 };
  await r.fleet.requests.write(r.client.pipeline(), '127.0.0.1:4000', stats).exec();
  await r.fleet.requests.write(r.client.pipeline(), '127.0.0.1:4000', stats).exec();
  t.same(await r.fleet.requests.read('127.0.0.1:4000'), stats);
  t.equal(totalDelta({ bootId: 'b', total: 4 }, { bootId: 'b', total: 10 }), 6);
  t.equal(totalDelta({ bootId: 'a', total: 40 }, { bootId: 'b', total: 10 }), 10, 'new boot id is a reset');
  t.equal(totalDelta({ bootId: 'b', total: 40 }, { bootId: 'b', total: 10 }), 10, 'lower total is a reset');
});

t.test('leader lock: one holder, renewals keep the token, a new leader gets a higher one', async (t) => {
  const r = await testRedis(t.teardown);
  const lock = r.fleet.leader;
  const a = await lock.acquire('A', 10_000);
  t.ok(a);
  t.equal(await lock.acquire('B', 10_000), undefined, 'B cannot take a held lock');
  t.equal(await lock.acquire('A', 10_000), a, 'renewal keeps the token');
  await lock.release('A');
  const b = await lock.acquire('B', 10_000);
  t.ok(b! > a!, 'fencing token grows');
  t.equal(await lock.stillValid('A', a!), false);
  t.equal(await lock.stillValid('B', b!), true);
  t.equal(await lock.stillValid('A', b!), false, 'the token alone is not enough: the holder must match too');
});

t.test('Redis restarted empty: fencing tokens and pool versions never go back, a deposed leader cannot act', async (t) => {
  const r = await testRedis(t.teardown);
  const { leader, registry } = r.fleet;
  const a = (await leader.acquire('A', 300))!;
  await registry.launching('s1', { provider: 'local' });
  const before = await registry.poolVersion();
  // A is deposed: its lock lapses (a long pause) and B takes over.
  await waitFor(async () => (await leader.acquire('B', 10_000)) !== undefined, { what: 'B to take the lapsed lock' });
  const b = (await leader.current())!.token;
  t.ok(b > a);

  await r.restart();
  t.equal(await r.client.dbsize(), 0, 'Redis came back empty');
  t.equal(await leader.stillValid('A', a), false, 'the deposed leader cannot act');
  t.equal(await leader.stillValid('B', b), false, 'nor can the old leader, until it takes the lock again');
  // The deposed leader asks first and gets the lock: its new token is above every earlier one.
  const a2 = (await leader.acquire('A', 10_000))!;
  t.ok(a2 > b, `the token after the restart (${a2}) is above the one before (${b})`);
  t.equal(await leader.stillValid('B', b), false, 'B, deposed now, cannot act on its old token');
  t.equal(await leader.stillValid('A', a), false, "A's old token is no good either");
  t.equal(await leader.stillValid('A', a2), true);
  const after = await registry.launching('s2', { provider: 'local' });
  t.ok(after > before, `the pool version after the restart (${after}) is above the one before (${before})`);
});

t.test('proxies, memory load, autoscaler state and decision stream round-trip', async (t) => {
  const r = await testRedis(t.teardown);
  const f: Fleet = r.fleet;
  await f.proxies.report({ id: 'p1', address: '127.0.0.1:8080', adminAddress: '127.0.0.1:8091', heartbeatAt: 5, appliedPoolVersion: 7, offeredTotal: 100, servedTotal: 90, offeredRps: 10, servedRps: 9, bootId: 'x' });
  t.match(await f.proxies.list(), [{ id: 'p1', appliedPoolVersion: 7, offeredRps: 10 }]);
  await f.memory.write('127.0.0.1:4000', { serverId: 's', usedPercent: 42.5, hostId: 'h', rssBytes: 1, load1: 0.5, updatedAt: 3 });
  t.equal((await f.memory.readAll()).get('127.0.0.1:4000')?.usedPercent, 42.5);
  await f.autoscaler.write({ leaderId: 'A', provider: 'local', min: 1, max: 8, targetRps: 50, targetMemory: 0, desired: 2, actual: 1, intervalMs: 5000, lastDecision: 'scale out', updatedAt: 9 });
  t.match(await f.autoscaler.read(), { min: 1, max: 8, desired: 2, lastDecision: 'scale out' });
  for (let i = 0; i < 3; i++) await f.decisions.append({ n: i });
  t.same((await f.decisions.recent(2)).map((e) => e.data), [{ n: 2 }, { n: 1 }]);
});
