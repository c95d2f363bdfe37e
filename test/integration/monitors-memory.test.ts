import { once } from 'node:events';
import { pino } from 'pino';
import t from 'tap';
import { connectRedis, Fleet } from '../../fleet/index.js';
import { MemoryMonitor } from '../../monitors/memory-monitor.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(240_000); // a safety net, not a timing: generous for a loaded CI machine // a safety net, not a timing: generous for a loaded CI machine

t.test('memory_load gets a field per server; rewritten after Redis comes back; removed on stop', async (t) => {
  const r = await testRedis(t.teardown);
  const client = connectRedis(r.url, { offlineQueue: false, name: 'memory-monitor' });
  t.teardown(() => client.disconnect());
  if (client.status !== 'ready') await once(client, 'ready');
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s).msg) });
  const address = '127.0.0.1:4567';
  const monitor = new MemoryMonitor({ fleet: new Fleet(client, r.prefix), address, serverId: 'srv-m', intervalMs: 100, log });
  t.teardown(() => monitor.stop());

  const sampled = await monitor.sample();
  const stored = (await r.fleet.memory.readAll()).get(address);
  t.same(stored, sampled, 'sample() writes what it read');
  t.ok(stored!.usedPercent > 0 && stored!.usedPercent <= 100, `used ${stored!.usedPercent} %`);
  t.match(stored, { serverId: 'srv-m', hostId: /\S/ });
  t.ok(stored!.rssBytes > 0, `rss ${stored!.rssBytes}`);
  t.ok(stored!.load1 >= 0);
  t.equal((await monitor.sample()).hostId, sampled.hostId, 'host id is stable');

  monitor.start();
  await waitFor(async () => ((await r.fleet.memory.readAll()).get(address)?.updatedAt ?? 0) > sampled.updatedAt, { what: 'a sample from the timer' });

  await r.server.stop();
  await waitFor(() => lines.filter((m) => /unreachable/.test(m)).length === 1, { what: 'outage logged' });
  await r.restart(); // comes back empty
  await waitFor(async () => (await r.fleet.memory.readAll()).has(address), { what: 'field rewritten after restart', timeoutMs: 15_000 });
  await waitFor(() => lines.filter((m) => /reachable again/.test(m)).length === 1, { what: 'recovery logged' });
  t.equal(lines.filter((m) => /unreachable/.test(m)).length, 1, 'the outage was logged once');

  const stopping = monitor.stop();
  t.equal(monitor.stop(), stopping, 'stop() is idempotent');
  await stopping;
  t.notOk((await r.fleet.memory.readAll()).has(address), 'a stopped server leaves no reading behind');
});
