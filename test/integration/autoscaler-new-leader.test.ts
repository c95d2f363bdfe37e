// A new leader on the ec2 provider, in-process through the real SDK against the embedded
// endpoint and a real Redis: until its first full listing is in (held back here by throttling
// DescribeInstances), its ticks decide on the registry but judge nothing — a server whose
// instance is gone is not marked dead, an idle fleet is not scaled in. Once the listing is in,
// both happen.
import { randomUUID } from 'node:crypto';
import { RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import t from 'tap';
import { AutoscalerMetrics } from '../../autoscaler/admin/metrics.js';
import { CostMeter } from '../../autoscaler/cost-meter.js';
import { Daemon } from '../../autoscaler/daemon.js';
import { engineConfig } from '../../autoscaler/engine/config.js';
import { DEFAULT_PRICES } from '../../autoscaler/engine/cost.js';
import { Ec2Provider } from '../../autoscaler/providers/ec2.js';
import { RedisHealth } from '../../fleet/health.js';
import { createLogger } from '../../lib/log.js';
import { testEc2 } from '../helpers/ec2.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(90_000);

const SUBNETS = ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'];

t.test("a new leader's incomplete listing: no server judged gone, no scale-in; both once its full listing is in", async (t) => {
  const ec2 = await testEc2(t.teardown, { faults: { throttleNext: 1_000_000, throttleActions: ['DescribeInstances'] } });
  const redis = await testRedis(t.teardown);
  const sdk = ec2.client();
  const tags = [{ ResourceType: 'instance' as const, Tags: [{ Key: 'shoal:fleet', Value: 'blue' }, { Key: 'shoal:role', Value: 'app' }] }];
  const r = await sdk.send(new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 3, MaxCount: 3, SubnetId: SUBNETS[0], TagSpecifications: tags }));
  const [a, b, ghost] = r.Instances!.map((i) => i.InstanceId!);
  const fleet = redis.fleet;
  for (const [k, id] of [a!, b!, ghost!].entries()) {
    await fleet.registry.launching(id, { provider: 'ec2', instanceId: id, zone: 'us-east-1a' }, Date.now() - 600_000);
    await fleet.registry.ready(id, { address: `127.0.0.1:${21000 + k}`, host: 'h', bootId: `b${k}` });
  }
  // The ghost's instance is gone behind the autoscaler's back and it no longer heartbeats.
  await sdk.send(new TerminateInstancesCommand({ InstanceIds: [ghost!] }));
  // The other two are alive and idle: heartbeats and request hashes (no requests) as their monitors write them.
  const live = async () => {
    const now = Date.now();
    const pipe = redis.client.pipeline();
    for (const [k, id] of [a!, b!].entries()) fleet.requests.write(pipe, `127.0.0.1:${21000 + k}`, { serverId: id, bootId: `b${k}`, total: 100, s2xx: 100, s3xx: 0, s4xx: 0, s5xx: 0, inflight: 0, rps: 0, p50Ms: 1, p95Ms: 2, updatedAt: now });
    await pipe.exec();
    for (const [k, id] of [a!, b!].entries()) await fleet.registry.heartbeat(id, { state: 'ready', provider: 'ec2', instanceId: id, address: `127.0.0.1:${21000 + k}` }, now);
  };
  await live();
  const beat = setInterval(() => void live().catch(() => {}), 250);
  t.teardown(() => clearInterval(beat));

  const log = createLogger('test', 'silent');
  const provider = new Ec2Provider({ fleet, client: ec2.client({ maxAttempts: 1 }), fleetName: 'blue', imageId: 'ami-0123456789abcdef0', instanceTypes: ['t3.small'], subnets: SUBNETS, securityGroups: [], retry: { attempts: 1, baseMs: 1, maxMs: 1 }, resyncMs: 60_000, log });
  await provider.init();
  const health = new RedisHealth(redis.client).start();
  t.teardown(() => health.stop());
  const engine = engineConfig({ min: 1, max: 4, intervalMs: 500, targetRps: 10, warmupMs: 0, scaleDownWindowMs: 1000, heartbeatTimeoutMs: 1500, staleAfterMs: 3000 });
  const id = `test-${randomUUID().slice(0, 4)}`;
  const daemon = new Daemon({ id, fleet, health, provider, engine, cost: new CostMeter(DEFAULT_PRICES), dryRun: false, drainTimeoutMs: 2000, log, metrics: new AutoscalerMetrics(id, 500, () => true), adminAddress: () => '', onRole: () => {} });
  await daemon.start();
  t.teardown(async () => {
    await daemon.stop();
    await provider.close();
  });
  t.equal(daemon.leadership.role, 'leader');

  // Incomplete: ticks go on (deciding on the registry) for several intervals past the ghost's heartbeat timeout.
  const held = await waitFor(async () => {
    const d = daemon.decisions.newest(50);
    return d.filter((x) => x.rule === 'listing-no-scale-in').length >= 4 ? d : undefined;
  }, { timeoutMs: 30_000, intervalMs: 100, what: 'held decisions while the listing is incomplete' });
  t.ok(held.every((d) => d.action !== 'scale-in' && d.acted.draining.length === 0), 'no scale-in on an incomplete listing');
  t.match(held.find((d) => d.rule === 'listing-no-scale-in')!.reason, /first full listing since taking the lead is still under way/, 'the reason says why');
  t.equal((await fleet.registry.get(ghost!))?.state, 'ready', 'the ghost is not marked gone: its instance is merely unlisted');
  t.equal(provider.complete, false);

  ec2.endpoint.faults.update({ throttleNext: 0 });
  await waitFor(async () => ((await fleet.registry.get(ghost!))?.state === 'gone' ? true : undefined), { timeoutMs: 30_000, intervalMs: 100, what: 'the ghost marked gone once the listing is in' });
  t.equal(provider.complete, true);
  const after = await waitFor(async () => daemon.decisions.newest(50).find((d) => d.action === 'scale-in'), { timeoutMs: 30_000, intervalMs: 100, what: 'the idle fleet scaled in once the listing is in' });
  t.equal(after.acted.draining.length, 1, 'one server drained');
});
