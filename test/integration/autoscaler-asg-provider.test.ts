// The asg provider in-process, through the real SDKs over HTTP against the embedded endpoint's
// Auto Scaling group (instances without user data: idle processes, so the file stays quick).
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand, PutLifecycleHookCommand, SetDesiredCapacityCommand, TerminateInstanceInAutoScalingGroupCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import t from 'tap';
import { emptyReconcileHistory, reconcile } from '../../autoscaler/engine/reconcile.js';
import { AsgProvider } from '../../autoscaler/providers/asg.js';
import { createLogger } from '../../lib/log.js';
import { testEc2 } from '../helpers/ec2.js';
import { ec2Recorder } from '../helpers/ec2-recorder.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(240_000); // a safety net, not a timing: generous for a loaded CI machine

const SUBNETS = ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'];
const CREDS = { accessKeyId: 'AKIDSHOALTEST', secretAccessKey: 'x' };
type Teardown = { teardown: (fn: () => unknown) => void };

async function setup(t: Teardown, hook = false, resyncMs = 0, spot?: { maxShare: number; onDemandBase: number }) {
  const ec2 = await testEc2(t.teardown, { asgTickMs: 100 });
  const rec = await ec2Recorder(t.teardown, ec2.endpoint.url);
  const redis = await testRedis(t.teardown);
  const admin = new AutoScalingClient({ endpoint: ec2.endpoint.url, region: 'us-east-1', credentials: CREDS, maxAttempts: 1 });
  t.teardown(() => admin.destroy());
  await ec2.client().send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'app', LaunchTemplateData: { ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.small' } }));
  await admin.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'web', LaunchTemplate: { LaunchTemplateName: 'app' }, MinSize: 1, MaxSize: 5, DesiredCapacity: 1, VPCZoneIdentifier: SUBNETS.join(',') }));
  if (hook) await admin.send(new PutLifecycleHookCommand({ AutoScalingGroupName: 'web', LifecycleHookName: 'drain', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: 300, DefaultResult: 'CONTINUE' }));
  const p = new AsgProvider({
    fleet: redis.fleet,
    autoscaling: new AutoScalingClient({ endpoint: rec.url, region: 'us-east-1', credentials: CREDS, maxAttempts: 2 }),
    ec2: ec2.client(),
    group: 'web',
    launchWaitMs: 10_000,
    heartbeatEveryMs: 10_000,
    pollMs: 50,
    resyncMs,
    ...(spot ? { spot } : {}),
    log: createLogger('test', 'silent'),
  });
  t.teardown(() => p.close());
  await p.init();
  const group = async (): Promise<AutoScalingGroup> => (await admin.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web'] }))).AutoScalingGroups![0]!;
  return { ec2, rec, redis, admin, p, group };
}

t.test('scale-out sets desired over the live members and adopts what the group launched, protected; scale-in terminates the chosen one, desired down by one', async (t) => {
  const { rec, redis, p, group } = await setup(t);
  const first = await waitFor(async () => ((await group()).Instances ?? []).length === 1 || undefined, { what: "the group's own first instance" });
  t.ok(first);
  const ids = await p.launch(2);
  t.equal(ids.length, 2, 'two new instances, returned as server ids');
  t.same(rec.of('SetDesiredCapacity').map((c) => c.params.DesiredCapacity), ['3'], 'desired = 1 live + 2');
  const servers = await redis.fleet.registry.list();
  t.same(servers.filter((s) => ids.includes(s.id)).map((s) => [s.state, s.provider, s.instanceId === s.id]), [['launching', 'asg', true], ['launching', 'asg', true]]);

  const listed = await p.list();
  t.equal(listed.filter((i) => i.state === 'running' || i.state === 'pending').length, 3);
  let g = await group();
  t.ok(g.Instances!.every((i) => i.ProtectedFromScaleIn), 'every member protected from scale-in (the one launched before shoal too, via list())');

  const victim = ids[1]!;
  await p.terminate([{ id: victim, instanceId: victim }]);
  g = await group();
  t.equal(g.DesiredCapacity, 2, 'decremented');
  t.same(rec.of('TerminateInstanceInAutoScalingGroup').map((c) => [c.params.InstanceId, c.params.ShouldDecrementDesiredCapacity]), [[victim, 'true']], 'exactly the chosen instance');
  g = await waitFor(async () => {
    const x = await group();
    return x.Instances!.length === 2 ? x : undefined;
  }, { what: 'the victim out of the group' });
  t.notOk(g.Instances!.some((i) => i.InstanceId === victim));
  t.ok(g.Instances!.every((i) => i.ProtectedFromScaleIn), 'the others stay protected');

  // at the group's min: terminated without a decrement, and the group replaces it
  await p.terminate([{ id: ids[0]!, instanceId: ids[0]! }]);
  const left = g.Instances!.find((i) => i.InstanceId !== ids[0])!.InstanceId!;
  await waitFor(async () => {
    const x = await group();
    return x.DesiredCapacity === 1 && x.Instances!.length === 1 && x.Instances![0]!.InstanceId === left ? x : undefined;
  }, { what: 'one left, desired 1' });
});

t.test("an instance lost behind the group's back is replaced by the group and adopted through reconciliation; a hook-held one is completed only by terminate()", async (t) => {
  const { ec2, rec, redis, admin, p, group } = await setup(t, true);
  let g = await waitFor(async () => {
    const x = await group();
    return x.Instances?.[0]?.LifecycleState === 'InService' ? x : undefined;
  }, { what: 'one in service' });
  const lost = g.Instances![0]!.InstanceId!;
  await p.adopt([{ id: lost, instanceId: lost, state: 'running', zone: g.Instances![0]!.AvailabilityZone!, launchedAt: Date.now() }]);
  await ec2.client().send(new TerminateInstancesCommand({ InstanceIds: [lost] }));
  g = await waitFor(async () => {
    const x = await group();
    return x.Instances!.length === 1 && x.Instances![0]!.InstanceId !== lost ? x : undefined;
  }, { what: 'the group’s replacement' });
  const replacement = g.Instances![0]!.InstanceId!;
  const instances = await p.list();
  t.equal(instances.find((i) => i.id === lost)?.state, 'gone', 'the lost one listed gone');
  const rec1 = reconcile({ now: Date.now(), provider: 'asg', bootTimeoutMs: 60_000, listGraceMs: 30_000, instances, servers: await redis.fleet.registry.list() }, emptyReconcileHistory());
  t.same(rec1.views.get(lost), 'gone', 'its entry seen gone');
  t.same(rec1.unregistered.map((i) => i.id), [replacement], 'the replacement is unregistered: capacity, to adopt');
  await p.adopt(rec1.unregistered);
  t.match(await redis.fleet.registry.get(replacement), { state: 'launching', provider: 'asg', instanceId: replacement });
  t.ok((await group()).Instances![0]!.ProtectedFromScaleIn, 'protected once adopted');

  // an operator takes it out: the hook holds it, listed as leaving, until terminate() (after the drain) completes it
  await admin.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: replacement, ShouldDecrementDesiredCapacity: false }));
  const leaving = (await p.list()).find((i) => i.id === replacement)!;
  t.match(leaving, { state: 'running', leaving: true });
  t.equal(rec.of('CompleteLifecycleAction').length, 0, 'not completed by listing');
  await p.terminate([leaving]);
  t.same(rec.of('CompleteLifecycleAction').map((c) => [c.params.InstanceId, c.params.LifecycleActionResult]), [[replacement, 'CONTINUE']]);
  t.equal(rec.of('TerminateInstanceInAutoScalingGroup').length, 0, 'already leaving: not terminated twice');
  await waitFor(async () => ec2.endpoint.cloud.get(replacement)?.state === 'terminated', { what: 'terminated' });
});

t.test("between full listings a tick asks the group only about what moved: its own launches adopted and protected, an operator's termination held by the hook leaving at the next tick", async (t) => {
  const { rec, admin, p, group } = await setup(t, true, 60_000);
  const first = await waitFor(async () => {
    const x = await group();
    return x.Instances?.[0]?.LifecycleState === 'InService' ? x.Instances[0].InstanceId! : undefined;
  }, { what: 'one in service' });
  const lead = p.lead(100);
  await p.list();
  t.equal(p.complete, false, "a new leader's first tick: incomplete until its full listing is in");
  await lead;
  t.same((await p.list()).map((i) => i.id), [first], 'the full listing in: the group as it is');
  t.equal(p.complete, true);
  const described = rec.of('DescribeAutoScalingGroups').length;
  const asked = rec.of('DescribeAutoScalingInstances').length;

  await admin.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'web', DesiredCapacity: 3 }));
  const three = await waitFor(async () => {
    const l = (await p.list()).filter((i) => i.state === 'pending' || i.state === 'running');
    return l.length === 3 ? l : undefined;
  }, { what: "the group's own launches followed" });
  t.equal(rec.of('DescribeAutoScalingGroups').length, described, 'no whole-group describe between full listings');
  const watched = rec.of('DescribeAutoScalingInstances').slice(asked).flatMap((c) => Object.entries(c.params).filter(([k]) => k.startsWith('InstanceIds.member.')).map(([, v]) => v));
  t.ok(watched.length > 0, 'the new ones asked about');
  t.notOk(watched.includes(first), 'the one in service, unmoved, never asked about');
  await waitFor(async () => {
    await p.list();
    return ((await group()).Instances ?? []).every((i) => i.ProtectedFromScaleIn) || undefined;
  }, { what: 'all three protected by the ticks' });

  const victim = three.find((i) => i.id !== first)!.id;
  await admin.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: victim, ShouldDecrementDesiredCapacity: true }));
  t.match((await p.list()).find((i) => i.id === victim), { state: /pending|running/, leaving: true }, "the operator's termination, held by the hook: leaving at the next tick (its activity)");
  await p.terminate([{ id: victim, instanceId: victim }]);
  t.same(rec.of('CompleteLifecycleAction').map((c) => c.params.InstanceId), [victim], 'completed after the drain');
  await waitFor(async () => {
    const v = (await p.list()).find((i) => i.id === victim);
    return !v || v.state === 'gone' || undefined;
  }, { what: 'the victim out of the group, seen' });
  t.equal(rec.of('DescribeAutoScalingGroups').length, described, 'still no whole-group describe');
});

t.test("--spot: the group's MixedInstancesPolicy from the share cap; the group launches the split itself, replaces an interrupted Spot instance, and the listing says which are Spot", async (t) => {
  const { ec2, admin, p, group } = await setup(t, false, 0, { maxShare: 0.5, onDemandBase: 1 });
  t.match((await group()).MixedInstancesPolicy, {
    LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateName: 'app' } },
    InstancesDistribution: { OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 50, SpotAllocationStrategy: 'price-capacity-optimized' },
  }, 'set through UpdateAutoScalingGroup');
  await admin.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'web', DesiredCapacity: 5 }));
  const five = await waitFor(async () => {
    const l = (await p.list()).filter((i) => i.state === 'running');
    return l.length === 5 ? l : undefined;
  }, { what: 'five running' });
  t.same(five.map((i) => i.market).sort(), ['on-demand', 'on-demand', 'on-demand', 'spot', 'spot'], 'base 1 On-Demand, then half of the rest (rounded to On-Demand)');
  const victim = five.find((i) => i.market === 'spot')!.id;
  ec2.endpoint.cloud.interrupt(victim, { noticeMs: 200 });
  const after = await waitFor(async () => {
    const l = (await p.list()).filter((i) => i.state === 'running');
    return l.length === 5 && !l.some((i) => i.id === victim) ? l : undefined;
  }, { what: 'the interrupted one replaced by the group' });
  t.same(after.map((i) => i.market).sort(), ['on-demand', 'on-demand', 'on-demand', 'spot', 'spot'], 'replaced as Spot: the split kept');
});
