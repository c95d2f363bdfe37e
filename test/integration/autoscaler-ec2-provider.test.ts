// The ec2 provider in-process, through the real SDK over HTTP against the embedded endpoint
// (instances without user data: idle processes, so no app boots and the file stays quick).
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand, type Instance as Ec2Instance } from '@aws-sdk/client-ec2';
import t from 'tap';
import { engineConfig, emptyHistory } from '../../autoscaler/engine/config.js';
import { decide } from '../../autoscaler/engine/decide.js';
import { Ec2Provider, type Ec2ProviderOptions } from '../../autoscaler/providers/ec2.js';
import { createLogger } from '../../lib/log.js';
import { testEc2, type TestEc2 } from '../helpers/ec2.js';
import { ec2Recorder } from '../helpers/ec2-recorder.js';
import { testRedis, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(240_000); // a safety net, not a timing: generous for a loaded CI machine

const AMI = 'ami-0123456789abcdef0';
const SUBNETS = ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'];
const log = createLogger('test', 'silent');

type Teardown = { teardown: (fn: () => unknown) => void };

async function provider(t: Teardown, o: Partial<Ec2ProviderOptions> & { endpoint?: string; maxAttempts?: number; ec2?: TestEc2 } = {}): Promise<{ p: Ec2Provider; ec2: TestEc2; redis: TestRedis; sdk: EC2Client }> {
  const ec2 = o.ec2 ?? (await testEc2(t.teardown));
  const redis = await testRedis(t.teardown);
  const { endpoint: _e, maxAttempts: _m, ec2: _x, ...opts } = o;
  const client = new EC2Client({ endpoint: o.endpoint ?? ec2.endpoint.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDSHOALTEST', secretAccessKey: 'x' }, maxAttempts: o.maxAttempts ?? 3 });
  const p = new Ec2Provider({
    fleet: redis.fleet,
    client,
    fleetName: 'blue',
    imageId: AMI,
    instanceTypes: ['t3.small', 't3.medium'],
    subnets: SUBNETS,
    securityGroups: ['sg-0aaaaaaaaaaaaaaa1'],
    instanceProfile: 'shoal-app',
    keyName: 'ops',
    userData: '#!/bin/sh\nexec sleep 600\n',
    retry: { attempts: 3, baseMs: 10, maxMs: 50 },
    log,
    ...opts,
  });
  t.teardown(() => p.close());
  await p.init();
  return { p, ec2, redis, sdk: ec2.client() };
}

async function all(sdk: EC2Client): Promise<Ec2Instance[]> {
  const r = await sdk.send(new DescribeInstancesCommand({}));
  return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []);
}
const tag = (i: Ec2Instance, k: string) => i.Tags?.find((x) => x.Key === k)?.Value;

t.test('RunInstances as sent: parameters, tags on instances and volumes, a token per launch; spread over the zones', async (t) => {
  const ec2 = await testEc2(t.teardown);
  const rec = await ec2Recorder(t.teardown, ec2.endpoint.url);
  const { p, redis } = await provider(t, { endpoint: rec.url, ec2, serverTags: ['chaos', 'web'] });
  const ids = await p.launch(4, []);
  const runs = rec.of('RunInstances');
  t.equal(runs.length, 4, 'one call per launch');
  const first = runs[0]!.params;
  t.match(first, {
    ImageId: AMI,
    InstanceType: 't3.small',
    MinCount: '1',
    MaxCount: '1',
    SubnetId: SUBNETS[0],
    'SecurityGroupId.1': 'sg-0aaaaaaaaaaaaaaa1',
    'IamInstanceProfile.Name': 'shoal-app',
    KeyName: 'ops',
    'TagSpecification.1.ResourceType': 'instance',
    'TagSpecification.1.Tag.1.Key': 'shoal:fleet',
    'TagSpecification.1.Tag.1.Value': 'blue',
    'TagSpecification.1.Tag.2.Key': 'shoal:role',
    'TagSpecification.1.Tag.2.Value': 'app',
    'TagSpecification.1.Tag.4.Key': 'shoal:tags',
    'TagSpecification.1.Tag.4.Value': 'chaos,web',
    'TagSpecification.2.ResourceType': 'volume',
    'TagSpecification.2.Tag.1.Value': 'blue',
  });
  t.equal(Buffer.from(first.UserData!, 'base64').toString(), '#!/bin/sh\nexec sleep 600\n', 'the user data, base64');
  t.same(runs.map((r) => r.params.SubnetId), [SUBNETS[0], SUBNETS[1], SUBNETS[2], SUBNETS[0]], 'one per zone, then round again');
  t.equal(new Set(runs.map((r) => r.params.ClientToken)).size, 4, 'a ClientToken per launch');
  const servers = await redis.fleet.registry.list();
  t.same(servers.map((s) => [s.id, s.state, s.provider, s.zone]).sort(), ids.map((id, i) => [id, 'launching', 'ec2', ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1a'][i]]).sort(), 'launching entries under the instance ids, with zones');
  t.ok(servers.every((s) => s.tags?.join(',') === 'chaos,web'), '--server-tags on every registry entry (the Chaos Monkey opt-in)');
  const listed = await p.list();
  t.same(listed.map((i) => i.id).sort(), [...ids].sort(), 'list() finds them by tag');

  // scale-in: the engine, given these servers, removes from the fullest zone (us-east-1a)
  const inputs = servers.map((s) => ({ server: { ...s, state: 'ready' as const, stateChangedAt: 0 }, provider: 'alive' as const, stats: { serverId: s.id, bootId: 'b', total: 0, s2xx: 0, s3xx: 0, s4xx: 0, s5xx: 0, inflight: 0, rps: 0, p50Ms: 0, p95Ms: 0, updatedAt: Date.now() } }));
  const d = decide({ now: Date.now(), config: engineConfig({ min: 3, max: 10, intervalMs: 1000, targetRps: 50, scaleDownWindowMs: 0 }), servers: inputs, proxies: [] }, emptyHistory()).decision;
  t.equal(d.remove.length, 1);
  t.equal(servers.find((s) => s.id === d.remove[0])!.zone, 'us-east-1a', 'scale-in takes from the fullest zone');
});

t.test('a lost RunInstances answer, retried with the same ClientToken, launches one instance', async (t) => {
  const { p, ec2, sdk } = await provider(t);
  ec2.endpoint.faults.update({ lostLaunchResponses: 1 });
  const ids = await p.launch(1, []);
  t.equal(ec2.endpoint.faults.counters.lostResponses, 1, 'the first answer was lost');
  const mine = (await all(sdk)).filter((i) => tag(i, 'shoal:fleet') === 'blue');
  t.same(mine.map((i) => i.InstanceId), ids, 'one instance, the one the retry answered');
});

t.test('throttling and no capacity: back-off, then the next subnet, then the next instance type', async (t) => {
  const { p, ec2, sdk } = await provider(t, { maxAttempts: 1 });
  ec2.endpoint.faults.update({ throttleNext: 2, throttleActions: ['RunInstances'] });
  const [a] = await p.launch(1, []);
  t.equal(ec2.endpoint.faults.counters.throttled, 2, 'two throttled tries, the third launched');
  ec2.endpoint.faults.update({ capacity: [{ zone: 'us-east-1b', instanceType: 't3.small' }] });
  const placed = await p.list();
  const [b] = await p.launch(1, placed);
  ec2.endpoint.faults.update({ capacity: [{ instanceType: 't3.small' }] });
  const [c] = await p.launch(1, await p.list());
  const byId = new Map((await all(sdk)).map((i) => [i.InstanceId!, i]));
  t.match(byId.get(a!), { Placement: { AvailabilityZone: 'us-east-1a' }, InstanceType: 't3.small' });
  t.match(byId.get(b!), { Placement: { AvailabilityZone: 'us-east-1a' }, InstanceType: 't3.small' }, 'us-east-1b had no t3.small: the next subnet (configured order)');
  t.match(byId.get(c!), { Placement: { AvailabilityZone: 'us-east-1b' }, InstanceType: 't3.medium' }, 'no t3.small anywhere: the next type, in the wanted zone');
  ec2.endpoint.faults.update({ capacity: [{}] });
  await t.rejects(p.launch(1, []), /no subnet and instance type could launch \(6 tried; last: InsufficientInstanceCapacity/);
});

t.test("a new leader's first ticks answer at once from an incomplete book, complete once its full listing is in", async (t) => {
  const { p, sdk } = await provider(t, { resyncMs: 60_000 });
  const r = await sdk.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 3, MaxCount: 3, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'shoal:fleet', Value: 'blue' }, { Key: 'shoal:role', Value: 'app' }] }] }));
  const ids = r.Instances!.map((i) => i.InstanceId!).sort();
  await waitFor(async () => (await all(sdk)).every((i) => i.State?.Name === 'running'), { timeoutMs: 30_000, intervalMs: 100, what: 'the three running' });
  const lead = p.lead();
  await p.list();
  t.equal(p.complete, false, 'the first tick does not wait for the full listing: incomplete');
  await lead;
  t.same((await p.list()).map((i) => i.id).sort(), ids, 'the full listing in: every instance, running ones included');
  t.equal(p.complete, true, 'complete');
  const again = p.lead();
  await p.list();
  t.equal(p.complete, false, 'leading again (after a standby spell): incomplete until a new full listing');
  await again;
  await p.list();
  t.equal(p.complete, true);
});

t.test('terminate: only instances with this fleet tag', async (t) => {
  const { p, sdk } = await provider(t);
  const run = async (tags: { Key: string; Value: string }[]) => {
    const r = await sdk.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, ...(tags.length ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] } : {}) }));
    return r.Instances![0]!.InstanceId!;
  };
  const untagged = await run([]);
  const other = await run([{ Key: 'shoal:fleet', Value: 'green' }, { Key: 'shoal:role', Value: 'app' }]);
  const [mine] = await p.launch(1, []);
  await p.terminate([untagged, other, mine!].map((id) => ({ id, instanceId: id })));
  const state = new Map((await all(sdk)).map((i) => [i.InstanceId!, i.State?.Name]));
  t.equal(state.get(untagged), 'running', 'an untagged instance is never terminated');
  t.equal(state.get(other), 'running', "another fleet's instance is never terminated");
  t.match(state.get(mine!), /shutting-down|terminated/, 'ours is');
  t.same((await p.list()).map((i) => i.id), [mine], 'list() shows only this fleet');
});

t.test('list(): between full listings each tick sees what left running at once; one the provider did not launch is listed too (pending at a tick, or at the next full listing)', async (t) => {
  const { p, sdk } = await provider(t, { resyncMs: 300 });
  const [mine] = await p.launch(1, []);
  await p.lead();
  t.same((await p.list()).map((i) => i.id), [mine], "the first listing after the lead's full one is the whole fleet");
  t.equal(p.complete, true, 'and complete');
  await sdk.send(new TerminateInstancesCommand({ InstanceIds: [mine!] }));
  t.match((await p.list()).find((i) => i.id === mine), { state: /stopping|gone/ }, 'terminated behind its back: seen at the next tick');
  const r = await sdk.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'shoal:fleet', Value: 'blue' }, { Key: 'shoal:role', Value: 'app' }] }] }));
  const other = r.Instances![0]!.InstanceId!;
  const seen = await waitFor(async () => (await p.list()).find((i) => i.id === other), { timeoutMs: 30_000, intervalMs: 100, what: 'an instance launched by someone else listed' });
  t.match(seen, { state: /pending|running/ }, 'listed up');
});
