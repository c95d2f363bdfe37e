import t from 'tap';
import { connectRedis, Fleet, parseSentinelUrl } from '../../fleet/index.js';
import { figures, startChaos } from '../helpers/chaos.js';
import { spawnShoal } from '../helpers/proc.js';
import { startUp } from '../helpers/up.js';
import { waitFor } from '../helpers/wait.js';
import { primaryPort as sentinelPrimary } from '../../lib/redis-sentinel.js';
import { readFileSync } from 'node:fs';
import type { Journal } from '../../chaos/journal.js';

t.setTimeout(400_000);

type Totals = Map<string, { bootId: string; total: number }>;

async function totals(fleet: Fleet): Promise<Totals> {
  const out: Totals = new Map();
  for (const s of await fleet.registry.list()) {
    const st = s.address ? await fleet.requests.read(s.address) : undefined;
    if (st) out.set(s.address, { bootId: st.bootId, total: st.total });
  }
  return out;
}

// shoal up --redis-ha: every tier reaches Redis through Sentinel. The primary is SIGKILLed
// under load (the shipped experiment): the replica is promoted, clients follow, writes come
// back within seconds, and no request-monitor total is lost or goes down.
t.test('Redis primary killed under load: replica promoted, clients follow, counters kept', async (t) => {
  const { stack, dataDir } = await startUp(t, ['--min', '3', '--max', '4', '--target-rps', '500', '--redis-ha']);
  const sentinel = parseSentinelUrl(stack.redis.url);
  t.ok(sentinel && sentinel.sentinels.length === 3, 'stack.json names three sentinels');
  const redis = connectRedis(stack.redis.url);
  t.teardown(() => redis.disconnect());
  const fleet = new Fleet(redis, stack.prefix);
  // the client's first commands may meet Sentinel still settling after start: wait until one answers
  await waitFor(async () => (await redis.ping()) === 'PONG', { timeoutMs: 30_000, what: 'the test client through Sentinel' });
  const before = await waitFor(() => sentinelPrimary(sentinel!.sentinels.map((x) => x.port), 'shoal'), { timeoutMs: 30_000, what: 'the primary from Sentinel' });

  // A tier started on its own, told only REDIS_SENTINELS and REDIS_SENTINEL_NAME (no URL): an app
  // server that registers and heartbeats. After the failover its heartbeats must reach the new primary.
  const sentinelsEnv = { REDIS_SENTINELS: sentinel!.sentinels.map((x) => `${x.host}:${x.port}`).join(','), REDIS_SENTINEL_NAME: 'shoal' };
  const extra = spawnShoal(t.teardown, ['app', '--port', '0', '--prefix', stack.prefix, '--dynamodb', stack.dynamodb.endpoint, '--server-id', 'sentinel-env-app'], { env: { ...sentinelsEnv, REDIS_URL: 'redis://127.0.0.1:1' } });
  await extra.waitForOutput(/ready at/, 60_000);
  await waitFor(async () => (await fleet.registry.list()).some((s) => s.id === 'sentinel-env-app' && s.state === 'ready'), { timeoutMs: 30_000, what: 'the app started with REDIS_SENTINELS registered' });

  const run = startChaos(t, 'kill-redis-primary', dataDir);
  await run.proc.waitForOutput(/method: /, 120_000);
  const acknowledged = await waitFor(() => totals(fleet), { timeoutMs: 30_000, what: 'the request totals' });
  // sample the counters through the failover: none may go down within one boot
  let seen = acknowledged;
  let wentDown = '';
  const sampler = setInterval(() => {
    void totals(fleet).then(
      (now) => {
        for (const [addr, cur] of now) {
          const prev = seen.get(addr);
          if (prev && prev.bootId === cur.bootId && cur.total < prev.total) wentDown = `${addr}: ${prev.total} → ${cur.total}`;
        }
        seen = new Map([...seen, ...now]);
      },
      () => {},
    );
  }, 200);
  t.teardown(() => clearInterval(sampler));
  t.equal(await run.proc.exited(), 0, 'the experiment passes');
  clearInterval(sampler);
  const journal = JSON.parse(readFileSync(run.journalFile, 'utf8')) as Journal;
  t.comment(`kill-redis-primary: ${journal.status} ${figures(journal)} output ${JSON.stringify(journal.run[0]?.output)}`);
  const out = journal.run[0]!.output as { port: number; writesBackAfterMs: number | null };
  t.equal(out.port, before, 'the killed node was the primary');
  t.ok(out.writesBackAfterMs !== null && out.writesBackAfterMs < 20_000, `writes succeed again after ${out.writesBackAfterMs} ms`);
  t.not(await sentinelPrimary(sentinel!.sentinels.map((x) => x.port), 'shoal'), before, 'Sentinel promoted the replica');
  t.equal(wentDown, '', 'no request-monitor total went down');
  const fresh = connectRedis(stack.redis.url);
  t.teardown(() => fresh.disconnect());
  const freshFleet = new Fleet(fresh, stack.prefix);
  const after: Totals = await waitFor(async () => {
    const now = await totals(freshFleet);
    const kept = [...acknowledged].every(([addr, a]) => {
      const n = now.get(addr);
      return !n || n.bootId !== a.bootId || n.total >= a.total;
    });
    return kept ? now : undefined;
  }, { timeoutMs: 10_000, what: 'every acknowledged counter present after the failover' });
  t.ok(after.size >= 3, 'the servers still report through the new primary');
  const killedAt = Date.parse(journal.run[0]!.start);
  await waitFor(async () => ((await freshFleet.registry.list()).find((s) => s.id === 'sentinel-env-app')?.heartbeatAt ?? 0) > killedAt + (out.writesBackAfterMs ?? 0), { timeoutMs: 15_000, what: 'a heartbeat of the REDIS_SENTINELS app on the new primary' });
  t.pass('the app started with REDIS_SENTINELS (and a REDIS_URL they replace) followed the failover');
  // shoal status reaches the fleet the same way
  const status = spawnShoal(t.teardown, ['status', '--json', '--prefix', stack.prefix], { env: sentinelsEnv });
  t.equal(await status.exited(), 0, 'shoal status with REDIS_SENTINELS exits 0');
  t.match(status.stdout(), /sentinel-env-app/, 'and lists the fleet read through Sentinel');
  t.equal((await freshFleet.registry.list()).filter((s) => s.state === 'ready').length >= 3, true, 'the registry is intact');
});
