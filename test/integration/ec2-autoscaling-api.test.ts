// The embedded endpoint's Auto Scaling API through the real @aws-sdk/client-auto-scaling over
// HTTP: the group's own behaviour (desired within min/max, launches from its template into its
// subnets, replacement of an instance terminated behind its back, protection, lifecycle hooks).
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeScalingActivitiesCommand,
  PutLifecycleHookCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import t from 'tap';
import { testEc2, type TestEc2 } from '../helpers/ec2.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(180_000); // a safety net, not a timing: generous for a loaded CI machine

const SUBNETS = ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'];

async function setup(t: { teardown: (fn: () => unknown) => void }): Promise<{ ec2: TestEc2; asg: AutoScalingClient; group: () => Promise<AutoScalingGroup> }> {
  const ec2 = await testEc2(t.teardown, { asgTickMs: 100 });
  const asg = new AutoScalingClient({ endpoint: ec2.endpoint.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDSHOALTEST', secretAccessKey: 'x' }, maxAttempts: 1 });
  t.teardown(() => asg.destroy());
  await ec2.client().send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'app', LaunchTemplateData: { ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.small' } }));
  await asg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'web',
      LaunchTemplate: { LaunchTemplateName: 'app', Version: '$Latest' },
      MinSize: 1,
      MaxSize: 4,
      DesiredCapacity: 2,
      VPCZoneIdentifier: SUBNETS.join(','),
      Tags: [{ Key: 'shoal:fleet', Value: 'blue', PropagateAtLaunch: true }],
    }),
  );
  const group = async () => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web'] }))).AutoScalingGroups![0]!;
  return { ec2, asg, group };
}

const inService = (g: AutoScalingGroup) => (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService');

t.test('a group launches from its template into its zones, keeps desired within min/max and replaces what EC2 lost', async (t) => {
  const { ec2, asg, group } = await setup(t);
  let g = await waitFor(async () => {
    const x = await group();
    return inService(x).length === 2 ? x : undefined;
  }, { what: 'two instances in service' });
  t.match(g, { MinSize: 1, MaxSize: 4, DesiredCapacity: 2, VPCZoneIdentifier: SUBNETS.join(','), LaunchTemplate: { LaunchTemplateName: 'app', Version: '$Latest' } });
  t.same(g.Instances!.map((i) => i.AvailabilityZone).sort(), ['us-east-1a', 'us-east-1b'], 'spread over the zones');
  const described = await ec2.client().send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:aws:autoscaling:groupName', Values: ['web'] }] }));
  const launched = described.Reservations!.flatMap((r) => r.Instances!);
  t.equal(launched.length, 2, 'EC2 lists them by the group tag');
  t.ok(launched.every((i) => i.InstanceType === 't3.small' && i.Tags!.some((x) => x.Key === 'shoal:fleet' && x.Value === 'blue')), "the template's type, the group's propagated tag");

  await t.rejects(asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'web', DesiredCapacity: 5 })), { name: 'ValidationError' }, 'above max: refused');
  await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'web', DesiredCapacity: 3 }));
  g = await waitFor(async () => {
    const x = await group();
    return inService(x).length === 3 ? x : undefined;
  }, { what: 'three in service' });
  t.same(g.Instances!.map((i) => i.AvailabilityZone).sort(), ['us-east-1a', 'us-east-1b', 'us-east-1c']);

  const lost = g.Instances![0]!.InstanceId!;
  await ec2.client().send(new TerminateInstancesCommand({ InstanceIds: [lost] }));
  g = await waitFor(async () => {
    const x = await group();
    return inService(x).length === 3 && !x.Instances!.some((i) => i.InstanceId === lost) ? x : undefined;
  }, { what: 'a replacement in service' });
  t.equal(g.DesiredCapacity, 3, 'desired unchanged: a replacement, not a scale-in');
  const details = await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [g.Instances![0]!.InstanceId!] }));
  t.match(details.AutoScalingInstances, [{ AutoScalingGroupName: 'web', LifecycleState: 'InService', HealthStatus: 'Healthy' }]);

  const acts = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'web' }))).Activities!;
  const replacement = g.Instances!.find((i) => !launched.some((l) => l.InstanceId === i.InstanceId) && i.AvailabilityZone === 'us-east-1a')?.InstanceId;
  t.match(acts[0], { Description: `Launching a new EC2 instance: ${replacement}`, AutoScalingGroupName: 'web' }, 'activities newest first: the replacement launched last');
  t.ok(acts.some((a) => a.Description === `Terminating EC2 instance: ${lost}`), 'the lost one taken out');
  t.equal(acts.filter((a) => a.Description?.startsWith('Launching')).length, 4, 'one launch activity each');
  const firstPage = await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'web', MaxRecords: 2 }));
  t.same(firstPage.Activities!.map((a) => a.ActivityId), acts.slice(0, 2).map((a) => a.ActivityId), 'paged: the two newest');
  t.ok(firstPage.NextToken);
  const bare = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web'], IncludeInstances: false }))).AutoScalingGroups![0]!;
  t.match(bare, { DesiredCapacity: 3 }, 'IncludeInstances=false: the group');
  t.notOk(bare.Instances?.length, 'without its instances');
});

t.test('protection decides what the group may scale in; TerminateInstanceInAutoScalingGroup picks the instance; a terminating hook holds it', async (t) => {
  const { ec2, asg, group } = await setup(t);
  await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'web', DesiredCapacity: 3 }));
  let g = await waitFor(async () => {
    const x = await group();
    return inService(x).length === 3 ? x : undefined;
  }, { what: 'three in service' });
  const [a, b, c] = g.Instances!.map((i) => i.InstanceId!);
  await asg.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: 'web', InstanceIds: [a!, b!], ProtectedFromScaleIn: true }));
  await asg.send(new PutLifecycleHookCommand({ AutoScalingGroupName: 'web', LifecycleHookName: 'drain', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: 60, DefaultResult: 'CONTINUE' }));

  // the group's own scale-in takes the one unprotected instance, and waits in the hook
  await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'web', DesiredCapacity: 2 }));
  g = await group();
  t.same(g.Instances!.filter((i) => i.LifecycleState === 'Terminating:Wait').map((i) => i.InstanceId), [c], 'the unprotected one, held by the hook');
  t.same(g.Instances!.filter((i) => i.ProtectedFromScaleIn).map((i) => i.InstanceId).sort(), [a, b].sort());
  await asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: 'web', LifecycleHookName: 'drain', InstanceId: c }));
  t.equal(ec2.endpoint.cloud.get(c!)!.state, 'running', 'still running while the hook holds it');
  await asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'web', LifecycleHookName: 'drain', InstanceId: c, LifecycleActionResult: 'CONTINUE' }));
  await waitFor(async () => ec2.endpoint.cloud.get(c!)!.state === 'terminated', { what: 'terminated after the action completed' });
  await t.rejects(asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'web', LifecycleHookName: 'drain', InstanceId: c, LifecycleActionResult: 'CONTINUE' })), { name: 'ValidationError' }, 'no action left to complete');

  // a protected instance, named: terminated anyway, desired down by one
  const res = await asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: a, ShouldDecrementDesiredCapacity: true }));
  t.match(res.Activity, { AutoScalingGroupName: 'web', StatusCode: 'InProgress' });
  g = await group();
  t.equal(g.DesiredCapacity, 1);
  t.equal(g.Instances!.find((i) => i.InstanceId === a)!.LifecycleState, 'Terminating:Wait');
  await t.rejects(asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: b, ShouldDecrementDesiredCapacity: true })), { name: 'ValidationError' }, 'not below min');
  await asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'web', LifecycleHookName: 'drain', InstanceId: a, LifecycleActionResult: 'CONTINUE' }));
  g = await waitFor(async () => {
    const x = await group();
    return x.Instances!.length === 1 ? x : undefined;
  }, { what: 'one left' });
  t.equal(g.Instances![0]!.InstanceId, b, 'the other protected one stays');
  await t.rejects(asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web'], MaxRecords: 500 })), { name: 'ValidationError' });
});
