import {
  CreateLaunchTemplateCommand,
  CreateTagsCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  paginateDescribeInstances,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import t from 'tap';
import { testEc2 } from '../helpers/ec2.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(120_000);

const AMI = 'ami-0123456789abcdef0';

async function errorOf(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}

async function describe(c: EC2Client, ids: string[]): Promise<Instance[]> {
  const r = await c.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []);
}

t.test('RunInstances: every parameter sent comes back from RunInstances and DescribeInstances', async (t) => {
  const ec2 = await testEc2(t.teardown);
  const c = ec2.client();
  const userData = Buffer.from('#!/bin/sh\nexec sleep 300\n').toString('base64');
  const r = await c.send(
    new RunInstancesCommand({
      ImageId: AMI,
      InstanceType: 't3.small',
      MinCount: 2,
      MaxCount: 2,
      SubnetId: 'subnet-0000000000000000b',
      SecurityGroupIds: ['sg-0aaaaaaaaaaaaaaa1', 'sg-0bbbbbbbbbbbbbbb2'],
      IamInstanceProfile: { Name: 'shoal-app' },
      KeyName: 'ops',
      UserData: userData,
      ClientToken: 'launch-1',
      TagSpecifications: [
        { ResourceType: 'instance', Tags: [{ Key: 'shoal:fleet', Value: 'blue' }, { Key: 'shoal:role', Value: 'app' }] },
        { ResourceType: 'volume', Tags: [{ Key: 'shoal:fleet', Value: 'blue' }] },
      ],
    }),
  );
  t.match(r.ReservationId, /^r-[0-9a-f]{17}$/);
  t.equal(r.OwnerId, '123456789012');
  t.equal(r.Instances?.length, 2);
  const expected = {
    ImageId: AMI,
    InstanceType: 't3.small',
    KeyName: 'ops',
    SubnetId: 'subnet-0000000000000000b',
    VpcId: 'vpc-00000000000000001',
    PrivateIpAddress: '127.0.0.1',
    ClientToken: 'launch-1',
    Placement: { AvailabilityZone: 'us-east-1b', AvailabilityZoneId: 'use1-az2' },
    SecurityGroups: [{ GroupId: 'sg-0aaaaaaaaaaaaaaa1' }, { GroupId: 'sg-0bbbbbbbbbbbbbbb2' }],
    IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/shoal-app' },
    Tags: [
      { Key: 'shoal:fleet', Value: 'blue' },
      { Key: 'shoal:role', Value: 'app' },
    ],
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
  };
  for (const [n, i] of r.Instances!.entries()) {
    t.match(i, { ...expected, AmiLaunchIndex: n, State: { Code: 0, Name: 'pending' } }, `instance ${n} as launched`);
    t.match(i.InstanceId, /^i-[0-9a-f]{17}$/);
    t.ok(i.LaunchTime instanceof Date);
  }
  const ids = r.Instances!.map((i) => i.InstanceId!);
  const running = await waitFor(async () => {
    const list = await describe(c, ids);
    return list.every((i) => i.State?.Name === 'running') ? list : undefined;
  }, { what: 'both running' });
  for (const i of running) t.match(i, { ...expected, State: { Code: 16, Name: 'running' } }, 'DescribeInstances shows the same');
  const admin = (await (await fetch(`${ec2.endpoint.url}/admin/instances`)).json()) as { instanceId: string; volumeTags: Record<string, string> }[];
  t.same(admin.find((i) => i.instanceId === ids[0])?.volumeTags, { 'shoal:fleet': 'blue' }, 'volume tags kept');
  t.notOk(JSON.stringify(admin).includes(userData), 'the admin listing leaves out user data');
});

t.test('RunInstances: NetworkInterfaces place the instance; mixed with SubnetId it is refused as AWS does', async (t) => {
  const ec2 = await testEc2(t.teardown);
  const c = ec2.client();
  const r = await c.send(
    new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0000000000000000c', Groups: ['sg-0ccccccccccccccc3'] }] }),
  );
  t.match(r.Instances![0], { Placement: { AvailabilityZone: 'us-east-1c' }, SecurityGroups: [{ GroupId: 'sg-0ccccccccccccccc3' }], InstanceType: 'm1.small' });
  const mixed = await errorOf(c.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: 'subnet-0000000000000000a', NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0000000000000000c' }] })));
  t.match(mixed, { name: 'InvalidParameterCombination', status: 400 });
  t.match(await errorOf(c.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: 'subnet-0000000000000000f' }))), { name: 'InvalidSubnetID.NotFound', status: 400 });
  t.match(await errorOf(c.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1 }))), { name: 'MissingParameter' });
  t.match(await errorOf(c.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, DryRun: true }))), { name: 'DryRunOperation', status: 412 });
  const tagged = await errorOf(c.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'aws:x', Value: '1' }] }] })));
  t.match(tagged, { name: 'InvalidParameterValue' });
});

t.test('RunInstances from a launch template by name or id, request fields over template fields', async (t) => {
  const ec2 = await testEc2(t.teardown);
  const c = ec2.client();
  const lt = await c.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'shoal-app',
      LaunchTemplateData: { ImageId: AMI, InstanceType: 't3.micro', KeyName: 'tmpl', TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'from', Value: 'template' }] }] },
    }),
  );
  const id = lt.LaunchTemplate!.LaunchTemplateId!;
  t.match(id, /^lt-[0-9a-f]{17}$/);
  t.equal(lt.LaunchTemplate?.LatestVersionNumber, 1);
  const byName = await c.send(
    new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateName: 'shoal-app', Version: '$Latest' }, InstanceType: 'c5.large', TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'shoal:fleet', Value: 'x' }] }] }),
  );
  t.match(byName.Instances![0], { ImageId: AMI, InstanceType: 'c5.large', KeyName: 'tmpl' });
  const tags = Object.fromEntries(byName.Instances![0]!.Tags!.map((x) => [x.Key, x.Value]));
  t.same(tags, { from: 'template', 'shoal:fleet': 'x', 'aws:ec2launchtemplate:id': id, 'aws:ec2launchtemplate:version': '1' });
  const byId = await c.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateId: id, Version: '1' } }));
  t.match(byId.Instances![0], { InstanceType: 't3.micro' });
  t.match(await errorOf(c.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateName: 'nope' } }))), { name: 'InvalidLaunchTemplateName.NotFoundException' });
  t.match(await errorOf(c.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateId: id, Version: '7' } }))), { name: 'InvalidLaunchTemplateId.VersionNotFound' });
});

t.test('ClientToken: a retried launch never launches twice', async (t) => {
  const ec2 = await testEc2(t.teardown);
  const c = ec2.client();
  const params = { ImageId: AMI, MinCount: 1, MaxCount: 1, ClientToken: 'tok-1' };
  const a = await c.send(new RunInstancesCommand(params));
  const b = await c.send(new RunInstancesCommand(params));
  t.equal(b.ReservationId, a.ReservationId, 'same reservation');
  t.same(b.Instances!.map((i) => i.InstanceId), a.Instances!.map((i) => i.InstanceId), 'same instance');
  t.match(await errorOf(c.send(new RunInstancesCommand({ ...params, InstanceType: 'c5.large' }))), { name: 'IdempotentParameterMismatch', status: 400 });

  // The SDK fills ClientToken itself; a lost response is retried with the same token.
  ec2.endpoint.faults.update({ lostLaunchResponses: 1 });
  const retried = await c.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'run', Value: 'retried' }] }] }));
  t.equal(ec2.endpoint.faults.counters.lostResponses, 1, 'the first answer was lost');
  t.equal(retried.$metadata.attempts, 2, 'the SDK retried');
  const all = await c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:run', Values: ['retried'] }] }));
  t.equal(all.Reservations?.flatMap((r) => r.Instances).length, 1, 'one instance for two attempts');
});

t.test('DescribeInstances: filters and pagination', async (t) => {
  const ec2 = await testEc2(t.teardown);
  const c = ec2.client();
  const launch = (subnet: string, fleet: string, n: number) =>
    c.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: fleet === 'blue' ? 't3.micro' : 't3.large', MinCount: n, MaxCount: n, SubnetId: subnet, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'shoal:fleet', Value: fleet }] }] }));
  const blueA = await launch('subnet-0000000000000000a', 'blue', 3);
  await launch('subnet-0000000000000000b', 'blue', 2);
  await launch('subnet-0000000000000000c', 'green', 7);
  const doomed = blueA.Instances![0]!.InstanceId!;
  await c.send(new TerminateInstancesCommand({ InstanceIds: [doomed] }));
  await waitFor(async () => (await describe(c, [doomed]))[0]?.State?.Name === 'terminated', { what: 'terminated' });

  const count = async (filters: { Name: string; Values: string[] }[]) => {
    const r = await c.send(new DescribeInstancesCommand({ Filters: filters }));
    return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).length;
  };
  t.equal(await count([{ Name: 'tag:shoal:fleet', Values: ['blue'] }]), 5, 'tag:KEY');
  t.equal(await count([{ Name: 'tag:shoal:fleet', Values: ['blue'] }, { Name: 'instance-state-name', Values: ['pending', 'running'] }]), 4, 'AND across filters, OR within');
  t.equal(await count([{ Name: 'tag-key', Values: ['shoal:fleet'] }]), 12, 'tag-key');
  t.equal(await count([{ Name: 'availability-zone', Values: ['us-east-1c'] }]), 7, 'availability-zone');
  t.equal(await count([{ Name: 'subnet-id', Values: ['subnet-0000000000000000a', 'subnet-0000000000000000b'] }]), 5, 'subnet-id');
  t.equal(await count([{ Name: 'instance-type', Values: ['t3.*'] }]), 12, 'wildcards');
  t.equal(await count([{ Name: 'instance-id', Values: [doomed] }]), 1, 'instance-id');
  t.equal(await count([{ Name: 'instance-state-name', Values: ['terminated'] }]), 1, 'terminated stay visible');
  t.match(await errorOf(c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'colour', Values: ['x'] }] }))), { name: 'InvalidParameterValue' });

  const first = await c.send(new DescribeInstancesCommand({ MaxResults: 5 }));
  t.equal(first.Reservations!.flatMap((r) => r.Instances).length, 5, 'a page holds MaxResults instances');
  t.ok(first.NextToken, 'with a NextToken');
  const seen: string[] = [];
  let pages = 0;
  for await (const p of paginateDescribeInstances({ client: c, pageSize: 5 }, {})) {
    pages++;
    for (const r of p.Reservations ?? []) for (const i of r.Instances ?? []) seen.push(i.InstanceId!);
  }
  t.equal(pages, 3, '12 instances in pages of 5');
  t.equal(new Set(seen).size, 12, 'each instance once');
  t.match(await errorOf(c.send(new DescribeInstancesCommand({ MaxResults: 5, InstanceIds: [doomed] }))), { name: 'InvalidParameterCombination' });
  t.match(await errorOf(c.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))), { name: 'InvalidInstanceID.NotFound', status: 400 });
  t.match(await errorOf(c.send(new DescribeInstancesCommand({ InstanceIds: ['bogus'] }))), { name: 'InvalidInstanceID.Malformed' });
});

t.test('TerminateInstances and CreateTags', async (t) => {
  const ec2 = await testEc2(t.teardown);
  const c = ec2.client();
  const r = await c.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1 }));
  const id = r.Instances![0]!.InstanceId!;
  await waitFor(async () => (await describe(c, [id]))[0]?.State?.Name === 'running', { what: 'running' });
  await c.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'shoal:fleet', Value: 'late' }] }));
  t.same((await describe(c, [id]))[0]?.Tags, [{ Key: 'shoal:fleet', Value: 'late' }], 'tag added');
  t.match(await errorOf(c.send(new CreateTagsCommand({ Resources: ['i-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }))), { name: 'InvalidInstanceID.NotFound' });

  const term = await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  t.match(term.TerminatingInstances, [{ InstanceId: id, PreviousState: { Code: 16, Name: 'running' }, CurrentState: { Code: 32, Name: 'shutting-down' } }]);
  const gone = await waitFor(async () => {
    const i = (await describe(c, [id]))[0];
    return i?.State?.Name === 'terminated' ? i : undefined;
  }, { what: 'terminated' });
  t.match(gone, { StateReason: { Code: 'Client.UserInitiatedShutdown' }, StateTransitionReason: /^User initiated \(/ });
  const again = await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  t.match(again.TerminatingInstances, [{ PreviousState: { Name: 'terminated' }, CurrentState: { Name: 'terminated' } }], 'terminating twice is harmless');
  t.match(await errorOf(c.send(new TerminateInstancesCommand({ InstanceIds: [id, 'i-0123456789abcdef0'] }))), { name: 'InvalidInstanceID.NotFound' });
});

t.test('DescribeSubnets and DescribeAvailabilityZones: one subnet per zone', async (t) => {
  const ec2 = await testEc2(t.teardown, { region: 'eu-west-1', zones: 2 });
  const c = ec2.client();
  const zones = await c.send(new DescribeAvailabilityZonesCommand({}));
  t.same(zones.AvailabilityZones?.map((z) => [z.ZoneName, z.ZoneId, z.State, z.RegionName]), [
    ['eu-west-1a', 'euw1-az1', 'available', 'eu-west-1'],
    ['eu-west-1b', 'euw1-az2', 'available', 'eu-west-1'],
  ]);
  const subnets = await c.send(new DescribeSubnetsCommand({}));
  t.same(subnets.Subnets?.map((s) => [s.SubnetId, s.AvailabilityZone, s.CidrBlock, s.VpcId]), [
    ['subnet-0000000000000000a', 'eu-west-1a', '10.0.0.0/20', 'vpc-00000000000000001'],
    ['subnet-0000000000000000b', 'eu-west-1b', '10.0.16.0/20', 'vpc-00000000000000001'],
  ]);
  const one = await c.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['eu-west-1b'] }] }));
  t.same(one.Subnets?.map((s) => s.SubnetId), ['subnet-0000000000000000b']);
  t.match(await errorOf(c.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0000000000000000z'] }))), { name: 'InvalidSubnetID.NotFound' });
});

t.test('faults: throttling and capacity surface as the SDK error codes; boots fail or lag', async (t) => {
  const ec2 = await testEc2(t.teardown);
  const c = ec2.client();
  const once = ec2.client({ maxAttempts: 1 });
  const admin = (body: object) => fetch(`${ec2.endpoint.url}/admin/faults`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  t.equal((await admin({ throttleNext: 2 })).status, 200);
  const ok = await c.send(new DescribeAvailabilityZonesCommand({}));
  t.equal(ok.$metadata.attempts, 3, 'the SDK retried two throttled calls');
  await admin({ throttleNext: 1 });
  t.match(await errorOf(once.send(new DescribeInstancesCommand({}))), { name: 'RequestLimitExceeded', status: 503 });
  await admin({ throttleNext: 1, throttleActions: ['RunInstances'] });
  await once.send(new DescribeInstancesCommand({}));
  t.match(await errorOf(once.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1 }))), { name: 'RequestLimitExceeded' }, 'only the named action is throttled');

  await admin({ capacity: [{ zone: 'us-east-1a', instanceType: 't3.micro' }] });
  const cap = await errorOf(once.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: 'subnet-0000000000000000a' })));
  t.match(cap, { name: 'InsufficientInstanceCapacity', status: 500, message: /us-east-1a.*us-east-1b, us-east-1c/ });
  const other = await once.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: 'subnet-0000000000000000b' }));
  t.equal(other.Instances?.[0]?.Placement?.AvailabilityZone, 'us-east-1b', 'the next zone has capacity');
  await once.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 'c5.large', MinCount: 1, MaxCount: 1, SubnetId: 'subnet-0000000000000000a' }));
  t.pass('another type in the same zone launches');

  await admin({ failBootNext: 1 });
  const failed = (await c.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1 }))).Instances![0]!.InstanceId!;
  const f = await waitFor(async () => {
    const i = (await describe(c, [failed]))[0];
    return i?.State?.Name === 'terminated' ? i : undefined;
  }, { what: 'failed boot terminated' });
  t.match(f.StateReason, { Code: 'Server.InternalError' });

  await admin({ bootDelayMs: 60_000 });
  const slow = (await c.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1 }))).Instances![0]!.InstanceId!;
  t.equal((await describe(c, [slow]))[0]?.State?.Name, 'pending', 'a slow boot stays pending');
  await c.send(new TerminateInstancesCommand({ InstanceIds: [slow] }));
  await waitFor(async () => (await describe(c, [slow]))[0]?.State?.Name === 'terminated', { what: 'pending instance terminated' });

  const bad = await admin({ throttleNext: -1 });
  t.equal(bad.status, 400);
  t.match(await bad.json(), { error: { code: 'BAD_FAULT' } });
  t.match(await (await fetch(`${ec2.endpoint.url}/admin/faults`)).json(), { counters: { throttled: 4, capacityErrors: 1, failedBoots: 1 } });
  t.equal((await fetch(`${ec2.endpoint.url}/admin/faults`, { method: 'DELETE' })).status, 200);
});

t.test('the Query API refuses unsigned calls and unknown actions in EC2 error XML', async (t) => {
  const ec2 = await testEc2(t.teardown);
  const post = (body: string, headers: Record<string, string> = {}) => fetch(ec2.endpoint.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const unsigned = await post('Action=DescribeInstances&Version=2016-11-15');
  t.equal(unsigned.status, 401);
  t.match(await unsigned.text(), /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>AuthFailure<\/Code><Message>.+<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/);
  const auth = { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcdef0123' };
  const unknown = await post('Action=RebootUniverse&Version=2016-11-15', auth);
  t.equal(unknown.status, 400);
  t.match(await unknown.text(), /<Code>InvalidAction<\/Code>/);
  const ok = await post('Action=DescribeInstances&Version=2016-11-15', auth);
  t.equal(ok.status, 200);
  t.match(await ok.text(), /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeInstancesResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId><reservationSet\/><\/DescribeInstancesResponse>$/);
});
