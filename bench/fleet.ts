// A 1,000-server fleet: 1,000 instances on the embedded EC2 endpoint (bare: no process each)
// and 1,000 servers in Redis — registry entries with heartbeats every 2 s and request hashes
// written at the monitors' 1 s rate — then times the autoscaler's tick part by part (the ec2
// provider's paginated DescribeInstances included), a real proxy's membership update after a
// change, and Redis's commands/s and memory.
//   npm run bench:fleet [-- --servers 1000 --ticks 10]
import { parseArgs } from 'node:util';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { engineConfig, emptyHistory } from '../autoscaler/engine/config.js';
import { decide } from '../autoscaler/engine/decide.js';
import { emptyReconcileHistory, reconcile } from '../autoscaler/engine/reconcile.js';
import { FleetObserver } from '../autoscaler/observe.js';
import { Ec2Provider } from '../autoscaler/providers/ec2.js';
import { startEc2Endpoint } from '../ec2/embedded.js';
import { connectRedis, Fleet } from '../fleet/index.js';
import { createLogger } from '../lib/log.js';
import { startRedisServer } from '../lib/redis-server.js';
import { buildOrExit } from './lib/build.js';
import { spawnNode } from './lib/child-process.js';
import { load1, median, positiveInt } from './lib/stats.js';

const { values: args } = parseArgs({ options: { servers: { type: 'string', default: '1000' }, ticks: { type: 'string', default: '10' } } });
const bad = (msg: string): never => {
  process.stderr.write(`bench:fleet: ${msg}\n`);
  process.exit(2);
};
const N = positiveInt('servers', args.servers, bad);
const TICKS = positiveInt('ticks', args.ticks, bad);
const PREFIX = 'bench:';
const SUBNETS = ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'];
const say = (s: string) => process.stdout.write(s + '\n');
const ms = (n: number) => `${n.toFixed(1)} ms`;

buildOrExit('bench:fleet');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const log = createLogger('bench', 'silent');
const redisServer = await startRedisServer();
// The app servers' writes go through their own connection (in production: 1,000 of them); the autoscaler's reads keep its default timeouts.
const appsRedis = connectRedis(redisServer.url, { name: 'bench-apps', commandTimeoutMs: 60_000 });
const apps = new Fleet(appsRedis, PREFIX);
const redis = connectRedis(redisServer.url, { name: 'bench-autoscaler' });
const fleet = new Fleet(redis, PREFIX);
const ec2 = await startEc2Endpoint({ port: 0, dataDir: `/tmp/shoal-bench-fleet-${process.pid}`, bareInstances: true, terminatedTtlMs: 3_600_000 }, { log: createLogger('ec2', 'silent') });
const client = new EC2Client({ endpoint: ec2.url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
const proxy = spawnNode(['dist/cli/shoal.js', 'proxy', '--port', '0', '--admin-port', '0', '--prefix', PREFIX, '--slow-start', '0'], { REDIS_URL: redisServer.url, SHOAL_LOG_LEVEL: 'error' });
let writer: NodeJS.Timeout | undefined;
try {
  // The fleet: instances tagged as the ec2 provider tags them, launched 250 per call.
  const tags = [{ Key: 'shoal:fleet', Value: 'bench' }, { Key: 'shoal:role', Value: 'app' }];
  const ids: string[] = [];
  for (let k = 0; k < N; k += 250) {
    const n = Math.min(250, N - k);
    const r = await client.send(new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.small', MinCount: n, MaxCount: n, SubnetId: SUBNETS[(k / 250) % 3], TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] }));
    ids.push(...r.Instances!.map((i) => i.InstanceId!));
  }
  // Each server registered ready under its instance id, on an address nothing listens on (the proxy's probes fail fast).
  const address = (k: number) => `127.0.0.1:${20000 + k}`;
  for (const [k, id] of ids.entries()) {
    await apps.registry.launching(id, { provider: 'ec2', instanceId: id, zone: 'us-east-1a' });
    await apps.registry.ready(id, { address: address(k), host: 'bench', bootId: `b${k}` });
  }
  // The monitors' and heartbeats' writes, at their rates: one pipeline per server per second in production; one pipeline here.
  let tick = 0;
  const write = async () => {
    const now = Date.now();
    const pipe = appsRedis.pipeline();
    for (const [k, id] of ids.entries()) {
      apps.requests.write(pipe, address(k), { serverId: id, bootId: `b${k}`, total: tick * 10, s2xx: tick * 10, s3xx: 0, s4xx: 0, s5xx: 0, inflight: 0, rps: 10, p50Ms: 1, p95Ms: 3, updatedAt: now });
    }
    await pipe.exec();
    if (tick % 2 === 0) await Promise.all(ids.map((id, k) => apps.registry.heartbeat(id, { state: 'ready', provider: 'ec2', instanceId: id, address: address(k) }, now)));
    tick++;
  };
  await write();
  writer = setInterval(() => void write().catch((err: Error) => process.stderr.write(`bench:fleet: the apps' writes fell behind: ${err.message}\n`)), 1000);
  const m = await proxy.waitForLine(/admin (http:\/\/\S+?)\)/, 60_000);
  const admin = m[1]!;

  // The autoscaler's tick, part by part, as daemon.ts runs it.
  const provider = new Ec2Provider({ fleet, client, fleetName: 'bench', imageId: 'ami-0123456789abcdef0', instanceTypes: ['t3.small'], subnets: SUBNETS, securityGroups: [], retry: { attempts: 1, baseMs: 1, maxMs: 1 }, log });
  await provider.init();
  const engine = engineConfig({ min: 1, max: N * 2, intervalMs: 1000, targetRps: 10 });
  const observer = new FleetObserver(fleet, 15_000);
  const parts: Record<'list' | 'snapshot' | 'reconcile' | 'decide' | 'total', number[]> = { list: [], snapshot: [], reconcile: [], decide: [], total: [] };
  let listed = 0;
  for (let k = 0; k < TICKS; k++) {
    await new Promise((ok) => setTimeout(ok, 1000));
    const t0 = performance.now();
    const snap = await observer.sample();
    const t1 = performance.now();
    const instances = await provider.list();
    const t2 = performance.now();
    const rec = reconcile({ now: snap.at, provider: 'ec2', bootTimeoutMs: 60_000, listGraceMs: 30_000, instances, servers: snap.servers }, emptyReconcileHistory());
    const t3 = performance.now();
    const inputs = observer.inputs(snap, 'ec2', rec.views);
    decide({ now: snap.at, config: engine, servers: inputs.servers, proxies: inputs.proxies }, emptyHistory());
    const t4 = performance.now();
    listed = instances.length;
    parts.snapshot.push(t1 - t0);
    parts.list.push(t2 - t1);
    parts.reconcile.push(t3 - t2);
    parts.decide.push(t4 - t3);
    parts.total.push(t4 - t0);
  }

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
  say(`bench:fleet: ${N} instances (embedded EC2, bare), ${N} servers in Redis; medians of ${TICKS} ticks; load average ${load1()}`);
  say(`autoscaler tick        ${ms(med.total)} (target ≤ 100 ms; max ${ms(Math.max(...parts.total))})`);
  say(`  DescribeInstances    ${ms(med.list)} (${listed} instances, pages of 1000, paginated)`);
  say(`  fleet snapshot       ${ms(med.snapshot)} (one Redis round trip: registry, request hashes, memory, proxies)`);
  say(`  reconcile            ${ms(med.reconcile)}`);
  say(`  decide               ${ms(med.decide)}`);
  say(`  dominant part        ${dominant} (${Math.round((med[dominant] / med.total) * 100)} % of the tick)`);
  say(`proxy membership       ${ms(median(updates))} after a change (median of ${updates.length}, max ${ms(Math.max(...updates))}; target ≤ 1 s)`);
  say(`redis                  ${Math.round(cps)} commands/s; used memory ${after.used_memory_human} (${(Number(after.used_memory) / N / 1024).toFixed(1)} KiB per server)`);
} finally {
  clearInterval(writer);
  await proxy.stop();
  client.destroy();
  await ec2.close();
  redis.disconnect();
  appsRedis.disconnect();
  await redisServer.stop();
}
