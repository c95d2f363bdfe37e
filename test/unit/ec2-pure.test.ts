import t from 'tap';
import { byTime, byTimeNewestFirst, page } from '../../ec2/api/paging.js';
import { ApiError } from '../../ec2/errors.js';
import { Faults } from '../../ec2/faults.js';
import { instanceMatcher } from '../../ec2/filters.js';
import { REASONS, transition, type Instance } from '../../ec2/instance.js';
import { mergeSpecs, parseLaunchSpec } from '../../ec2/launch-spec.js';
import { defaultNetwork } from '../../ec2/network.js';
import { QueryParams } from '../../ec2/query.js';
import { children, element } from '../../ec2/xml.js';

const q = (s: string) => QueryParams.parse(s);

t.test('query parameters: flattened lists and nested structures, in index order', async (t) => {
  const p = q('InstanceId.2=i-b&InstanceId.1=i-a&InstanceId.10=i-j&Filter.1.Name=tag%3Ashoal%3Afleet&Filter.1.Value.1=blue&Filter.1.Value.2=green&Filter.2.Name=instance-state-name&Filter.2.Value.1=running&MaxResults=5&DryRun=false');
  t.same(p.list('InstanceId'), ['i-a', 'i-b', 'i-j']);
  t.same(p.structs('Filter').map((f) => [f.str('Name'), f.list('Value')]), [
    ['tag:shoal:fleet', ['blue', 'green']],
    ['instance-state-name', ['running']],
  ]);
  t.equal(p.int('MaxResults'), 5);
  t.equal(p.bool('DryRun'), false);
  t.equal(p.struct('Nope'), undefined);
  t.throws(() => q('MaxResults=five').int('MaxResults'), { code: 'InvalidParameterValue' });
  t.throws(() => q('').required('ImageId'), { code: 'MissingParameter' });
});

t.test('launch spec: RunInstances fields, network interface, tags by resource type; template merge', async (t) => {
  const spec = parseLaunchSpec(
    q('ImageId=ami-1&InstanceType=t3.micro&SecurityGroupId.1=sg-0123456789abcdef0&IamInstanceProfile.Name=app&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=a&TagSpecification.1.Tag.1.Value=1&TagSpecification.2.ResourceType=volume&TagSpecification.2.Tag.1.Key=v&TagSpecification.2.Tag.1.Value=2'),
  );
  t.match(spec, { imageId: 'ami-1', instanceType: 't3.micro', securityGroupIds: ['sg-0123456789abcdef0'], iamInstanceProfile: { name: 'app' }, tags: { instance: { a: '1' }, volume: { v: '2' } } });
  const nic = parseLaunchSpec(q('NetworkInterface.1.DeviceIndex=0&NetworkInterface.1.SubnetId=subnet-x&NetworkInterface.1.SecurityGroupId.1=sg-0123456789abcdef1'));
  t.match(nic, { subnetId: 'subnet-x', securityGroupIds: ['sg-0123456789abcdef1'] });
  t.throws(() => parseLaunchSpec(q('SubnetId=subnet-a&NetworkInterface.1.SubnetId=subnet-b')), { code: 'InvalidParameterCombination' });
  t.throws(() => parseLaunchSpec(q('SecurityGroupId.1=default')), { code: 'InvalidGroupId.Malformed' });
  t.throws(() => parseLaunchSpec(q('TagSpecification.1.ResourceType=bucket&TagSpecification.1.Tag.1.Key=a')), { code: 'InvalidParameterValue' });
  const merged = mergeSpecs(
    { imageId: 'ami-t', instanceType: 't3.micro', securityGroupIds: ['sg-0000000000000000t'], tags: { instance: { a: 't', b: 't' } } },
    { instanceType: 'c5.large', securityGroupIds: [], tags: { instance: { b: 'r' } } },
  );
  t.same(merged, { imageId: 'ami-t', instanceType: 'c5.large', securityGroupIds: ['sg-0000000000000000t'], tags: { instance: { a: 't', b: 'r' } } }, 'request wins, tags merge');
});

function instance(over: Partial<Instance>): Instance {
  return {
    instanceId: 'i-0000000000000000a',
    reservationId: 'r-1',
    imageId: 'ami-1',
    instanceType: 't3.micro',
    subnetId: 'subnet-0000000000000000a',
    vpcId: 'vpc-1',
    zone: 'us-east-1a',
    privateIp: '127.0.0.1',
    launchTime: 0,
    amiLaunchIndex: 0,
    securityGroupIds: [],
    tags: {},
    volumeId: 'vol-1',
    volumeTags: {},
    state: 'running',
    stateChangedAt: 0,
    transitionReason: '',
    ...over,
  };
}

t.test('filters: AND across filters, OR across values, wildcards, tags; unknown names refused', async (t) => {
  const list = [
    instance({ instanceId: 'i-1', tags: { 'shoal:fleet': 'blue' } }),
    instance({ instanceId: 'i-2', tags: { 'shoal:fleet': 'green' }, zone: 'us-east-1b', state: 'pending' }),
    instance({ instanceId: 'i-3', tags: {}, instanceType: 'c5.large', state: 'terminated' }),
  ];
  const ids = (filters: { name: string; values: string[] }[]) => list.filter(instanceMatcher(filters)).map((i) => i.instanceId);
  const cases: [{ name: string; values: string[] }[], string[]][] = [
    [[], ['i-1', 'i-2', 'i-3']],
    [[{ name: 'tag:shoal:fleet', values: ['blue', 'green'] }], ['i-1', 'i-2']],
    [[{ name: 'tag:shoal:fleet', values: ['*'] }, { name: 'instance-state-name', values: ['running'] }], ['i-1']],
    [[{ name: 'tag-key', values: ['shoal:fleet'] }], ['i-1', 'i-2']],
    [[{ name: 'instance-type', values: ['t3.*'] }], ['i-1', 'i-2']],
    [[{ name: 'availability-zone', values: ['us-east-1?'] }], ['i-1', 'i-2', 'i-3']],
    [[{ name: 'instance-state-code', values: ['48'] }], ['i-3']],
    [[{ name: 'private-ip-address', values: ['127.0.0.1'] }], ['i-1', 'i-2']],
  ];
  for (const [filters, want] of cases) t.same(ids(filters), want, JSON.stringify(filters));
  t.throws(() => instanceMatcher([{ name: 'colour', values: ['x'] }]), { code: 'InvalidParameterValue' });
});

t.test('paging: a token names the last item returned, so items leaving between pages skip nobody', async (t) => {
  const items = Array.from({ length: 12 }, (_, i) => i);
  const key = (i: number) => String(i).padStart(3, '0');
  const a = page(items, key, 5, undefined);
  t.same(a.items, [0, 1, 2, 3, 4]);
  const b = page(items, key, 5, a.nextToken);
  t.same(b.items, [5, 6, 7, 8, 9]);
  t.same(page(items, key, 5, b.nextToken), { items: [10, 11] }, 'the last page has no token');
  t.same(page(items, key, undefined, undefined).items.length, 12, 'no MaxResults: everything');
  t.same(page([...items].reverse(), key, 5, undefined).items, [0, 1, 2, 3, 4], 'in key order whatever the order given');
  // items 0–4 age out (and 5, the next one) after the first page: an offset would skip 5–9
  const fewer = items.filter((i) => i > 5);
  t.same(page(fewer, key, 5, a.nextToken).items, [6, 7, 8, 9, 10], 'resumes after the last item seen');
  // an item added after the first page with a later key shows on a later page
  t.same(page([...items, 12], key, 100, b.nextToken).items, [10, 11, 12]);
  t.throws(() => page(items, key, 5, 'garbage'), ApiError);
});

t.test('paging keys: by time oldest first, or newest first, ties by id', async (t) => {
  const sorted = (keys: string[]) => [...keys].sort();
  t.same(sorted([byTime(20, 'a'), byTime(3, 'b'), byTime(3, 'a')]), [byTime(3, 'a'), byTime(3, 'b'), byTime(20, 'a')]);
  t.same(sorted([byTimeNewestFirst(3, 'a'), byTimeNewestFirst(20, 'b')]), [byTimeNewestFirst(20, 'b'), byTimeNewestFirst(3, 'a')]);
});

t.test('instance states: forward only, terminal is final, reasons kept', async (t) => {
  const i = instance({ state: 'pending', pid: 5, imdsPort: 9 });
  const running = transition(i, 'running', 1);
  t.equal(running.state, 'running');
  const down = transition(running, 'shutting-down', 2, REASONS.userTerminated);
  t.match(down, { state: 'shutting-down', stateReason: REASONS.userTerminated, transitionReason: /^User initiated/, pid: 5 });
  const gone = transition(down, 'terminated', 3, REASONS.userTerminated);
  t.equal(gone.pid, undefined);
  t.equal(gone.imdsPort, undefined);
  t.equal(transition(gone, 'running', 4), gone, 'terminated is final');
  t.match(transition(running, 'terminated', 5, REASONS.instanceShutdown), { transitionReason: /^Service initiated/ });
});

t.test('faults: next-N throttling, a rate with a 1 s burst, per-action, capacity rules, boot failures', async (t) => {
  const f = new Faults({ throttleNext: 2 });
  t.same([f.throttle('A', 0), f.throttle('A', 0), f.throttle('A', 0)], [true, true, false]);
  f.update({ throttleRate: 2 });
  const now = 10_000;
  t.same([f.throttle('A', now), f.throttle('A', now), f.throttle('A', now)], [false, false, true], 'burst of 2, then throttled');
  t.equal(f.throttle('A', now + 500), false, 'half a second refills one call');
  f.reset();
  f.update({ throttleNext: 1, throttleActions: ['RunInstances'] });
  t.equal(f.throttle('DescribeInstances', 0), false);
  t.equal(f.throttle('RunInstances', 0), true);
  f.update({ capacity: [{ zone: 'us-east-1a' }, { instanceType: 'p5.48xlarge' }] });
  t.same([f.noCapacity('us-east-1a', 't3.micro'), f.noCapacity('us-east-1b', 't3.micro'), f.noCapacity('us-east-1c', 'p5.48xlarge')], [true, false, true]);
  f.update({ failBootNext: 1 });
  t.same([f.takeBootFailure(), f.takeBootFailure()], [true, false]);
  t.match(f.counters, { throttled: 4, capacityErrors: 2, failedBoots: 1 });
});

t.test('network: zones, zone ids and subnets named after the region', async (t) => {
  const n = defaultNetwork('ap-southeast-2', 2);
  t.same(n.zones, [
    { name: 'ap-southeast-2a', id: 'apse2-az1' },
    { name: 'ap-southeast-2b', id: 'apse2-az2' },
  ]);
  t.same(n.subnets.map((s) => [s.subnetId, s.cidr]), [
    ['subnet-0000000000000000a', '10.0.0.0/20'],
    ['subnet-0000000000000000b', '10.0.16.0/20'],
  ]);
  t.equal(defaultNetwork('us-west-2').zones[0]!.id, 'usw2-az1');
});

t.test('xml: items for lists, empty lists self-closed, escaping, dates', async (t) => {
  t.equal(element('groupSet', []), '<groupSet/>');
  t.equal(children({ a: 'x<&>"\'', b: undefined, c: [{ k: 1 }, { k: true }], d: new Date(0) }), '<a>x&lt;&amp;&gt;&quot;&apos;</a><c><item><k>1</k></item><item><k>true</k></item></c><d>1970-01-01T00:00:00.000Z</d>');
});
