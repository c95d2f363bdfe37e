// A 1,000-server fleet: 1,000 instances on the embedded EC2 endpoint (bare: no process each,
// plus the 50 terminated ones a churning fleet still shows) and 1,000 servers in Redis —
// registry entries with heartbeats every 2 s and request hashes written at the monitors' 1 s
// rate, by a child process (bench/lib/fleet-world.ts), as AWS and the app servers are not on
// the autoscaler's CPU — then times the autoscaler's tick part by part as daemon.ts runs it
// (the ec2 provider's paginated DescribeInstances included, and its background full listing
// every 30 s), a real proxy's membership update after a change, and Redis's commands/s and memory.
//   npm run bench:fleet [-- --servers 1000 --ticks 40 --terminated 50]
import { parseArgs } from 'node:util';
import { EC2Client } from '@aws-sdk/client-ec2';
import { CostMeter } from '../autoscaler/cost-meter.js';
import { engineConfig, emptyHistory } from '../autoscaler/engine/config.js';
import { DEFAULT_PRICES } from '../autoscaler/engine/cost.js';
import { decide } from '../autoscaler/engine/decide.js';
import { emptyReconcileHistory, reconcile } from '../autoscaler/engine/reconcile.js';
import { FleetObserver } from '../autoscaler/observe.js';
import { Ec2Provider } from '../autoscaler/providers/ec2.js';
import { connectRedis, Fleet } from '../fleet/index.js';
import { createLogger } from '../lib/log.js';
import { startRedisServer } from '../lib/redis-server.js';
import { buildOrExit } from './lib/build.js';
import { spawnNode } from './lib/child-process.js';
import { load1, median, positiveInt } from './lib/stats.js';

const { values: args } = parseArgs({ options: { servers: { type: 'string', default: '1000' }, ticks: { type: 'string', default: '40' }, terminated: { type: 'string', default: '50' } } });
const bad = (msg: string): never => {
  process.stderr.write(`bench:fleet: ${msg}\n`);
  process.exit(2);
};
const N = positiveInt('servers', args.servers, bad);
const TICKS = positiveInt('ticks', args.ticks, bad);
const TERMINATED = Number(args.terminated);
if (!Number.isInteger(TERMINATED) || TERMINATED < 0) bad(`--terminated: expected a whole number ≥ 0, got ${args.terminated}`);
/** The ec2 provider's default (--ec2-resync). */
const RESYNC_MS = 30_000;
const PREFIX = 'bench:';
const say = (s: string) => process.stdout.write(s + '\n');
const ms = (n: number) => `${n.toFixed(1)} ms`;
const pct = (xs: readonly number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

buildOrExit('bench:fleet');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const log = createLogger('bench', 'silent');
const redisServer = await startRedisServer();
// The autoscaler's connection keeps its default timeouts (1 s per command, as in production).
const redis = connectRedis(redisServer.url, { name: 'bench-autoscaler' });
const fleet = new Fleet(redis, PREFIX);
const world = spawnNode(['--import', 'tsx', 'bench/lib/fleet-world.ts', redisServer.url, PREFIX, String(N), String(TERMINATED)]);
const proxy = spawnNode(['dist/cli/shoal.js', 'proxy', '--port', '0', '--admin-port', '0', '--prefix', PREFIX, '--slow-start', '0'], { REDIS_URL: redisServer.url, SHOAL_LOG_LEVEL: 'error' });
let client: EC2Client | undefined;
try {
  const { endpoint, subnets } = JSON.parse((await world.waitForLine(/^\{.*\}$/m, 300_000))[0]) as { endpoint: string; subnets: string[] };
  const ids = (await fleet.registry.list()).map((s) => s.id);
  client = new EC2Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const m = await proxy.waitForLine(/admin (http:\/\/\S+?)\)/, 60_000);
  const admin = m[1]!;

  // The autoscaler's tick, part by part, as daemon.ts runs it: the first is a new leader's (the whole fleet listed on the tick), the rest list what is not running.
  const provider = new Ec2Provider({ fleet, client, fleetName: 'bench', imageId: 'ami-0123456789abcdef0', instanceTypes: ['t3.small'], subnets, securityGroups: [], retry: { attempts: 1, baseMs: 1, maxMs: 1 }, resyncMs: RESYNC_MS, log });
  await provider.init();
  const engine = engineConfig({ min: 1, max: N * 2, intervalMs: 1000, targetRps: 10 });
  const observer = new FleetObserver(fleet, 15_000);
  const cost = new CostMeter(DEFAULT_PRICES);
  const parts: Record<'list' | 'snapshot' | 'reconcile' | 'decide' | 'total', number[]> = { list: [], snapshot: [], reconcile: [], decide: [], total: [] };
  // The autoscaler process's own CPU per tick: what the tick costs, apart from waiting for a loaded machine.
  const cpu: number[] = [];
  let listed = 0;
  let first = 0;
  for (let k = 0; k <= TICKS; k++) {
    await new Promise((ok) => setTimeout(ok, 1000));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const snap = await observer.sample();
    const t1 = performance.now();
    const instances = await provider.list();
    cost.observe(instances, snap.at);
    const t2 = performance.now();
    const rec = reconcile({ now: snap.at, provider: 'ec2', bootTimeoutMs: 60_000, listGraceMs: provider.listingLagMs, instances, servers: snap.servers }, emptyReconcileHistory());
    const t3 = performance.now();
    const inputs = observer.inputs(snap, 'ec2', rec.views);
    decide({ now: snap.at, config: engine, servers: inputs.servers, proxies: inputs.proxies }, emptyHistory());
    const t4 = performance.now();
    const c1 = process.cpuUsage(c0);
    listed = instances.length;
    if (k === 0) {
      first = t4 - t0;
      continue;
    }
    parts.snapshot.push(t1 - t0);
    parts.list.push(t2 - t1);
    parts.reconcile.push(t3 - t2);
    parts.decide.push(t4 - t3);
    parts.total.push(t4 - t0);
    cpu.push((c1.user + c1.system) / 1000);
  }
  const full = provider.lastFullListing;

  // Membership: a server marked draining, until the proxy's pool says so.
  const updates: number[] = [];
  const poolState = async (id: string) => ((await (await fetch(`${admin}/pool`)).json()) as { members: { id: string; state: string }[] }).members.find((x) => x.id === id)?.state;
  for (let k = 0; k < 5; k++) {
    const id = ids[k]!;
    const t0 = performance.now();
    await fleet.registry.draining(id);
    while ((await poolState(id)) !== 'draining') await new Promise((ok) => setTimeout(ok, 5));
    updates.push(performance.now() - t0);
  }

  // Redis over 5 s of steady writes and one autoscaler sample a second.
  const info = async () => Object.fromEntries((await redis.info()).split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(':') as [string, string]));
  const before = await info();
  const t0 = Date.now();
  for (let k = 0; k < 5; k++) {
    await observer.sample();
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  const after = await info();
  const cps = (Number(after.total_commands_processed) - Number(before.total_commands_processed)) / ((Date.now() - t0) / 1000);

  const med = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, median(v)])) as Record<keyof typeof parts, number>;
  const dominant = (['list', 'snapshot', 'reconcile', 'decide'] as const).reduce((a, b) => (med[a] >= med[b] ? a : b));
  say(`bench:fleet: ${N} instances running + ${TERMINATED} terminated (embedded EC2, bare, its own process), ${N} servers in Redis; ${TICKS} ticks at 1 s; load average ${load1()}`);
  say(`autoscaler tick        ${ms(med.total)} median (target ≤ 100 ms); p90 ${ms(pct(parts.total, 90))}, max ${ms(Math.max(...parts.total))}`);
  say(`  its own CPU          ${ms(median(cpu))} median (user + system of the autoscaler's process during the tick)`);
  say(`  DescribeInstances    ${ms(med.list)} (paginated, the ${TERMINATED} not running: the rest of the ${listed} known are running)`);
  say(`  fleet snapshot       ${ms(med.snapshot)} (one Redis round trip: registry, request hashes, memory, proxies)`);
  say(`  reconcile            ${ms(med.reconcile)}`);
  say(`  decide               ${ms(med.decide)}`);
  say(`  dominant part        ${dominant} (${Math.round((med[dominant] / med.total) * 100)} % of the tick)`);
  say(`first tick (a leader)  ${ms(first)} (the whole fleet listed on the tick, pages of 100)`);
  say(`full listing           ${full?.background ? `${ms(full.ms)} for ${full.instances} instances in pages of 100, in the background every ${RESYNC_MS / 1000} s (the ticks above overlap ${Math.floor((TICKS * 1000) / RESYNC_MS)} of them)` : 'none in the background (give more --ticks)'}`);
  say(`proxy membership       ${ms(median(updates))} after a change (median of ${updates.length}, max ${ms(Math.max(...updates))}; target ≤ 1 s)`);
  say(`redis                  ${Math.round(cps)} commands/s; used memory ${after.used_memory_human} (${(Number(after.used_memory) / N / 1024).toFixed(1)} KiB per server)`);
} finally {
  await proxy.stop();
  await world.stop(30_000);
  client?.destroy();
  redis.disconnect();
  await redisServer.stop();
}
