import t, { type Test } from 'tap';
import { FleetObserver } from '../../autoscaler/observe.js';
import { connectRedis, Fleet, type Redis } from '../../fleet/index.js';
import { readSnapshot } from '../../fleet/snapshot.js';
import { statusView } from '../../fleet/status-view.js';
import { testRedis, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(180_000); // a safety net, not a timing: generous for a loaded CI machine

const stats = (serverId: string, total: number) => ({ serverId, bootId: 'b', total, s2xx: total, s3xx: 0, s4xx: 0, s5xx: 0, inflight: 1, rps: 12, p50Ms: 1, p95Ms: 2, updatedAt: Date.now() });

/** Three servers (one gone), their monitors, two proxies (one expired), the autoscaler's state and decisions. */
async function seed(r: TestRedis): Promise<void> {
  const f = r.fleet;
  for (const [id, port] of [['s1', 4001], ['s2', 4002], ['s3', 4003]] as const) {
    await f.registry.launching(id, { provider: 'local', host: 'h', instanceId: String(port) });
    await f.registry.ready(id, { address: `127.0.0.1:${port}`, bootId: 'b' });
    await f.requests.write(r.client.pipeline(), `127.0.0.1:${port}`, stats(id, port)).exec();
    await f.memory.write(`127.0.0.1:${port}`, { serverId: id, usedPercent: 40, hostId: 'h', rssBytes: 1, load1: 0, updatedAt: 1 });
  }
  await f.registry.gone('s3');
  const proxy = { address: '127.0.0.1:8080', adminAddress: '', heartbeatAt: Date.now(), appliedPoolVersion: 7, offeredTotal: 100, servedTotal: 99, offeredRps: 30, servedRps: 29, bootId: 'x' };
  await f.proxies.report({ id: 'p1', ...proxy });
  await f.proxies.report({ id: 'p2', ...proxy });
  await r.client.del(f.keys.proxy('p2')); // expired: its id lingers in the set
  await f.autoscaler.write({ leaderId: 'A', provider: 'local', min: 1, max: 8, targetRps: 50, targetMemory: 0, desired: 2, actual: 2, intervalMs: 1000, lastDecision: 'steady', updatedAt: 1 });
  for (let i = 0; i < 3; i++) await f.decisions.append({ desired: 2, action: 'none', reason: `tick ${i}` });
}

/** `cmdstat_<name>` calls from INFO commandstats. */
async function commandCalls(client: Redis): Promise<Map<string, number>> {
  const info = await client.info('commandstats');
  return new Map([...info.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

/** Commands each client address sent, seen by MONITOR ("lua" for those a script ran). */
async function monitor(t: Test, url: string): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
  const base = connectRedis(url);
  const m = await base.monitor(); // a connection of its own
  t.teardown(() => {
    m.disconnect();
    base.disconnect();
  });
  m.on('monitor', (_time: string, args: string[], source: string) => seen.set(source, [...(seen.get(source) ?? []), args[0]!.toLowerCase()]));
  return seen;
}

t.test('one read of the fleet: everything the three readers need', async (t) => {
  const r = await testRedis(t.teardown);
  await seed(r);
  const snap = await readSnapshot(r.fleet, { decisions: 2 });
  t.same(snap.servers.map((s) => `${s.id}:${s.state}`), ['s1:ready', 's2:ready', 's3:gone']);
  t.same(snap.servers, await r.fleet.registry.list(), 'the same servers the registry lists');
  t.equal(snap.requests.get('127.0.0.1:4002')?.total, 4002);
  t.equal(snap.memory.get('127.0.0.1:4001')?.usedPercent, 40);
  t.same(snap.proxies.map((p) => p.id), ['p1'], 'an expired proxy is left out');
  t.same(await r.client.smembers(r.fleet.keys.proxies), ['p1'], '…and pruned from the set');
  t.match(snap.autoscaler, { desired: 2, leaderId: 'A' });
  t.same(snap.decisions.map((d) => d.data.reason), ['tick 2', 'tick 1']);
  t.equal(snap.poolVersion, await r.fleet.registry.poolVersion());
  t.match(statusView(snap), { desired: 2, actual: 2, offeredRps: 30 });

  const empty = await readSnapshot(new Fleet(r.client, 'nothing-here:'));
  t.same({ ...empty, at: 0 }, { at: 0, servers: [], requests: new Map(), memory: new Map(), proxies: [], autoscaler: undefined, decisions: [], poolVersion: 0, processes: [], chaos: [] });
});

t.test('one Redis round trip per tick, for the autoscaler and for status/dashboard (commandstats and MONITOR)', async (t) => {
  const r = await testRedis(t.teardown);
  await seed(r);
  const reader = connectRedis(r.url, { name: 'reader' });
  t.teardown(() => reader.disconnect());
  const fleet = new Fleet(reader, r.prefix);
  await reader.ping();
  const address = ((await reader.client('INFO')) as string).match(/addr=(\S+)/)![1]!;
  const seen = await monitor(t, r.url);

  const observer = new FleetObserver(fleet, 10_000);
  for (const [what, read] of [
    ['autoscaler tick (FleetObserver.sample)', () => observer.sample()],
    ['shoal status / dashboard tick (readSnapshot)', () => readSnapshot(fleet, { decisions: 10 })],
  ] as const) {
    seen.clear();
    const before = await commandCalls(r.client);
    await read();
    const after = await commandCalls(r.client);
    await waitFor(() => seen.get(address)?.length, { what: 'MONITOR to show the read' });
    const delta = [...after].map(([cmd, n]) => [cmd, n - (before.get(cmd) ?? 0)] as const).filter(([cmd, d]) => d > 0 && cmd !== 'info');
    t.comment(`${what}: INFO commandstats delta ${delta.map(([c, d]) => `${c}=${d}`).join(' ')}`);
    t.same(seen.get(address), ['eval'], `${what}: the reader's connection sent one command`);
    t.equal(delta.find(([c]) => c === 'eval')?.[1], 1, `${what}: cmdstat_eval +1`);
    t.ok(seen.get('lua')?.includes('hgetall'), `${what}: the hash reads ran inside the script`);
  }
});
