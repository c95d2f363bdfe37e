// A 1,000-server fleet: 1,000 instances on the embedded EC2 endpoint (bare: no process each,
// plus the 50 terminated ones a churning fleet still shows) and 1,000 servers in Redis —
// registry entries with heartbeats every 2 s and request hashes written at the monitors' 1 s
// rate, spread over the second as each server flushes on its own timer — the endpoint and the
// apps each in a child process (bench/lib/fleet-world.ts, fleet-apps.ts), as AWS and the app
// servers are not on the autoscaler's event loop, nor on each other's. Then a standby takes the
// lead and the autoscaler's tick is timed part by part as daemon.ts runs it (the ec2 provider's
// paginated DescribeInstances included, and its background full listings: at the lead, then
// every 30 s), the worst tick's parts, a real proxy's membership update after a change, and
// Redis's commands/s and memory. `--provider asg`: the 1,000 are an Auto Scaling group's on the
// same endpoint, and the tick is the asg provider's (the group's activities and members in
// motion, EC2's instances not running; the group described whole only at full listings).
//   npm run bench:fleet [-- --servers 1000 --ticks 40 --terminated 50 --provider ec2|asg]
import { parseArgs } from 'node:util';
import { EC2Client } from '@aws-sdk/client-ec2';
import { CostMeter } from '../autoscaler/cost-meter.js';
import { engineConfig, emptyHistory } from '../autoscaler/engine/config.js';
import { DEFAULT_PRICES } from '../autoscaler/engine/cost.js';
import { decide } from '../autoscaler/engine/decide.js';
import { emptyReconcileHistory, reconcile } from '../autoscaler/engine/reconcile.js';
import { FleetObserver } from '../autoscaler/observe.js';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { AsgProvider } from '../autoscaler/providers/asg.js';
import { Ec2Provider } from '../autoscaler/providers/ec2.js';
import { connectRedis, Fleet } from '../fleet/index.js';
import { createLogger } from '../lib/log.js';
import { startRedisServer } from '../lib/redis-server.js';
import { buildOrExit } from './lib/build.js';
import { spawnNode } from './lib/child-process.js';
import { load1, median, positiveInt } from './lib/stats.js';

/** One tick, part by part (ms), when it ran (epoch ms), and what the provider knew. */
interface Tick {
  at: number;
  end: number;
  snapshot: number;
  list: number;
  reconcile: number;
  decide: number;
  total: number;
  cpu: number;
  known: number;
  complete: boolean;
}

const { values: args } = parseArgs({ options: { servers: { type: 'string', default: '1000' }, ticks: { type: 'string', default: '40' }, terminated: { type: 'string', default: '50' }, provider: { type: 'string', default: 'ec2' } } });
const bad = (msg: string): never => {
  process.stderr.write(`bench:fleet: ${msg}\n`);
  process.exit(2);
};
const N = positiveInt('servers', args.servers, bad);
const TICKS = positiveInt('ticks', args.ticks, bad);
const TERMINATED = Number(args.terminated);
if (!Number.isInteger(TERMINATED) || TERMINATED < 0) bad(`--terminated: expected a whole number ≥ 0, got ${args.terminated}`);
const PROVIDER = args.provider === 'asg' ? 'asg' : args.provider === 'ec2' ? 'ec2' : bad(`--provider: expected ec2 or asg, got ${args.provider}`);
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
const world = spawnNode(['--import', 'tsx', 'bench/lib/fleet-world.ts', String(N), String(TERMINATED), PROVIDER]);
let apps: ReturnType<typeof spawnNode> | undefined;
const proxy = spawnNode(['dist/cli/shoal.js', 'proxy', '--port', '0', '--admin-port', '0', '--prefix', PREFIX, '--slow-start', '0'], { REDIS_URL: redisServer.url, SHOAL_LOG_LEVEL: 'error' });
let client: EC2Client | undefined;
let provider: Ec2Provider | AsgProvider | undefined;
try {
  const { endpoint, subnets, tag } = JSON.parse((await world.waitForLine(/^\{.*\}$/m, 300_000))[0]) as { endpoint: string; subnets: string[]; tag: { Key: string; Value: string } };
  apps = spawnNode(['--import', 'tsx', 'bench/lib/fleet-apps.ts', redisServer.url, PREFIX, endpoint, PROVIDER, tag.Key, tag.Value]);
  await apps.waitForLine(/^ready$/m, 300_000);
  const ids = (await fleet.registry.list()).map((s) => s.id);
  client = new EC2Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const m = await proxy.waitForLine(/admin (http:\/\/\S+?)\)/, 60_000);
  const admin = m[1]!;

  // The autoscaler's tick, part by part, as daemon.ts runs it. First a standby (it samples the
  // fleet every second, the provider lists nothing), then it takes the lead: the provider starts
  // its full listing in the background and the first tick, at once, answers from what it has.
  const creds = { accessKeyId: 'bench', secretAccessKey: 'bench' };
  const p =
    PROVIDER === 'asg'
      ? new AsgProvider({ fleet, autoscaling: new AutoScalingClient({ endpoint, region: 'us-east-1', credentials: creds }), ec2: client, group: 'bench', launchWaitMs: 30_000, heartbeatEveryMs: 10_000, resyncMs: RESYNC_MS, log })
      : new Ec2Provider({ fleet, client, fleetName: 'bench', imageId: 'ami-0123456789abcdef0', instanceTypes: ['t3.small'], subnets, securityGroups: [], retry: { attempts: 1, baseMs: 1, maxMs: 1 }, resyncMs: RESYNC_MS, log });
  provider = p;
  await p.init();
  const engine = engineConfig({ min: 1, max: N * 2, intervalMs: 1000, targetRps: 10 });
  const observer = new FleetObserver(fleet, 15_000);
  const cost = new CostMeter(DEFAULT_PRICES);
  const listings = new Map<number, { instances: number; startedAt: number; ms: number }>();
  const tick = async (): Promise<Tick> => {
    const c0 = process.cpuUsage();
    const at = Date.now();
    const t0 = performance.now();
    const snap = await observer.sample();
    const t1 = performance.now();
    const instances = await p.list();
    const complete = p.complete;
    cost.observe(instances, snap.at);
    const t2 = performance.now();
    const rec = reconcile({ now: snap.at, provider: PROVIDER, bootTimeoutMs: 60_000, listGraceMs: complete ? p.listingLagMs : Infinity, instances, servers: snap.servers }, emptyReconcileHistory());
    const t3 = performance.now();
    const inputs = observer.inputs(snap, PROVIDER, rec.views);
    decide({ now: snap.at, config: engine, servers: inputs.servers, proxies: inputs.proxies, ...(complete ? {} : { incomplete: 'bench' }) }, emptyHistory());
    const t4 = performance.now();
    const c1 = process.cpuUsage(c0);
    const l = p.lastFullListing;
    if (l?.background) listings.set(l.startedAt, l);
    return { at, end: at + (t4 - t0), snapshot: t1 - t0, list: t2 - t1, reconcile: t3 - t2, decide: t4 - t3, total: t4 - t0, cpu: (c1.user + c1.system) / 1000, known: instances.length, complete };
  };
  for (let k = 0; k < 3; k++) {
    await observer.sample();
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  const leading = p.lead(1000);
  const first = await tick();
  await leading;
  const ticks: Tick[] = [];
  for (let k = 0; k < TICKS; k++) {
    await new Promise((ok) => setTimeout(ok, 1000));
    ticks.push(await tick());
  }
  const leadListing = [...listings.values()].sort((x, y) => x.startedAt - y.startedAt)[0];
  const overlapping = (t: Tick) => [...listings.values()].some((l) => l.startedAt < t.end && l.startedAt + l.ms > t.at);
  const worst = ticks.reduce((x, y) => (y.total > x.total ? y : x));
  const parts = { list: ticks.map((x) => x.list), snapshot: ticks.map((x) => x.snapshot), reconcile: ticks.map((x) => x.reconcile), decide: ticks.map((x) => x.decide), total: ticks.map((x) => x.total) };

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
  const PARTS = ['list', 'snapshot', 'reconcile', 'decide'] as const;
  const dominant = PARTS.reduce((a, b) => (med[a] >= med[b] ? a : b));
  const worstPart = PARTS.reduce((a, b) => (worst[a] >= worst[b] ? a : b));
  const all = [first, ...ticks];
  say(`bench:fleet: ${N} instances running${PROVIDER === 'asg' ? ' in an Auto Scaling group' : ''} + ${TERMINATED} terminated (embedded EC2, bare, its own process), ${N} servers in Redis; ${PROVIDER} provider; ${TICKS} ticks at 1 s; load average ${load1()}`);
  say(`autoscaler tick        ${ms(med.total)} median (target ≤ 100 ms); p90 ${ms(pct(parts.total, 90))}, max ${ms(worst.total)}; every tick, the first included: max ${ms(Math.max(...all.map((x) => x.total)))}`);
  say(`  its own CPU          ${ms(median(ticks.map((x) => x.cpu)))} median (user + system of the autoscaler's process during the tick)`);
  const listWhat = PROVIDER === 'asg' ? "the group's new activities and members in motion, EC2's" : 'paginated, the';
  say(`  provider listing     ${ms(med.list)} (${listWhat} ${TERMINATED} not running: the rest of the ${worst.known} known are running)`);
  say(`  fleet snapshot       ${ms(med.snapshot)} (one Redis round trip: registry, request hashes, memory, proxies)`);
  say(`  reconcile            ${ms(med.reconcile)}`);
  say(`  decide               ${ms(med.decide)}`);
  say(`  dominant part        ${dominant} (${Math.round((med[dominant] / med.total) * 100)} % of the tick)`);
  say(`  max tick             ${ms(worst.total)}: ${PARTS.map((p) => `${p} ${ms(worst[p])}`).join(', ')}; dominant ${worstPart}; ${overlapping(worst) ? 'during' : 'not during'} a background full listing; its own CPU ${ms(worst.cpu)}`);
  say(`  ticks during a full listing: ${ticks.filter(overlapping).length} of ${ticks.length}, median ${ms(median(ticks.filter(overlapping).map((x) => x.total)) || 0)}`);
  say(`first tick (new leader) ${ms(first.total)}: ${PARTS.map((p) => `${p} ${ms(first[p])}`).join(', ')}; ${first.complete ? 'complete' : `answered from the book so far (${first.known} of ${worst.known} instances), incomplete: no scale-in`}`);
  say(`full listing           ${leadListing ? `${ms(leadListing.ms)} for ${leadListing.instances} instances in pages of 100${PROVIDER === 'asg' ? ' after the group described whole' : ''}, in the background: at the lead, then every ${RESYNC_MS / 1000} s (${listings.size} during the run)` : 'none seen'}`);
  say(`proxy membership       ${ms(median(updates))} after a change (median of ${updates.length}, max ${ms(Math.max(...updates))}; target ≤ 1 s)`);
  say(`redis                  ${Math.round(cps)} commands/s; used memory ${after.used_memory_human} (${(Number(after.used_memory) / N / 1024).toFixed(1)} KiB per server)`);
} finally {
  await proxy.stop();
  await apps?.stop(10_000);
  await world.stop(30_000);
  await provider?.close();
  client?.destroy();
  redis.disconnect();
  await redisServer.stop();
}
