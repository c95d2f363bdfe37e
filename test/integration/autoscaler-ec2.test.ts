// `shoal autoscaler --provider ec2` end to end: the real SDK over HTTP against the embedded
// EC2 endpoint, whose instances boot `shoal app` from the user data the autoscaler renders.
import { DescribeInstancesCommand, RunInstancesCommand, TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import t from 'tap';
import { startProxy } from '../fixtures/backend.js';
import { testEc2, type TestEc2 } from '../helpers/ec2.js';
import { waitFor } from '../helpers/wait.js';
import { autoscaler, drive, readyServers, stack, waitReady, type Stack } from './autoscaler-harness.js';

t.setTimeout(240_000);

const AMI = 'ami-0123456789abcdef0';
const SUBNETS = ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'];
const CREDS = { AWS_ACCESS_KEY_ID: 'AKIDSHOALTEST', AWS_SECRET_ACCESS_KEY: 'not-checked', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const ec2Flags = (ec2: TestEc2) => [
  '--provider', 'ec2', '--ec2-endpoint', ec2.endpoint.url, '--region', 'us-east-1', '--subnets', SUBNETS.join(','),
  '--image-id', AMI, '--instance-types', 't3.small', '--fleet', 'blue', '--release-url', 'https://releases.invalid/shoal.tgz', '--ec2-backoff', '50ms',
];
const blue = [{ Key: 'shoal:fleet', Value: 'blue' }, { Key: 'shoal:role', Value: 'app' }];

async function stateOf(c: EC2Client, id: string): Promise<string | undefined> {
  const r = await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return r.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

async function runIdle(c: EC2Client, tags: typeof blue | []): Promise<string> {
  const r = await c.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: SUBNETS[0], ...(tags.length ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] } : {}) }));
  return r.Instances![0]!.InstanceId!;
}

t.test('orphans and stuck boots are terminated after the boot timeout; an instance without the fleet tag never is', async (t) => {
  const s: Stack = await stack(t.teardown);
  const ec2 = await testEc2(t.teardown);
  const c = ec2.client();
  const untagged = await runIdle(c, []);
  const orphan = await runIdle(c, blue);
  ec2.endpoint.faults.update({ bootDelayMs: 600_000 });
  const stuck = await runIdle(c, blue);
  const a = await autoscaler(t.teardown, s, [...ec2Flags(ec2), '--min', '0', '--max', '2', '--boot-timeout', '2s'], CREDS);
  await waitFor(async () => (await stateOf(c, orphan)) !== 'running' && (await stateOf(c, stuck)) !== 'pending', { timeoutMs: 30_000, what: 'the orphan and the stuck boot terminated' });
  const acted = (await a.decisions()).flatMap((d) => d.acted.terminated);
  t.same(acted.map((x) => [x.instanceId, x.reason]).sort(), [[orphan, 'orphan'], [stuck, 'stuck-pending']].sort(), 'recorded with their reasons');
  await waitFor(async () => (await a.decisions()).length >= 4, { what: 'more ticks' });
  t.equal(await stateOf(c, untagged), 'running', 'the untagged instance runs on');
  t.same(await s.fleet.registry.list(), [], 'nothing was launched or registered (min 0)');
});

t.test('an instance terminated behind shoal’s back is replaced; a killed leader’s standby adopts the fleet; no request fails', async (t) => {
  const s = await stack(t.teardown);
  const ec2 = await testEc2(t.teardown);
  const c = ec2.client();
  // the traffic is the app servers' /healthz through the proxy (no tables needed): forwarded only on request
  const proxy = await startProxy(t.teardown, s.redis, ['--expose-internal']);
  const flags = [...ec2Flags(ec2), '--min', '2', '--max', '4', '--interval', '2s'];
  const a = await autoscaler(t.teardown, s, flags, CREDS);
  const b = await autoscaler(t.teardown, s, flags, CREDS);
  const [leader, standby] = /leading/.test(a.proc.stdout()) ? [a, b] : [b, a];
  const first = await waitReady(s.fleet, 2, 90_000);
  t.ok(first.every((x) => /^i-[0-9a-f]{17}$/.test(x.id) && x.provider === 'ec2' && x.instanceId === x.id), 'instances registered under their instance ids');
  t.same(first.map((x) => x.zone).sort(), ['us-east-1a', 'us-east-1b'], 'one per zone');
  const routed = async (n: number) => (await proxy.pool()).members.filter((m) => m.state === 'ready' && m.up).length === n;
  await waitFor(() => routed(2), { timeoutMs: 30_000, what: 'the proxy routing to both' });

  // behind shoal's back: terminated through the EC2 API
  const [victim, kept] = first;
  let replacedAt = 0;
  const phase1 = drive(proxy.url, 40, 4000, async () => replacedAt > 0);
  await c.send(new TerminateInstancesCommand({ InstanceIds: [victim!.id] }));
  const second = await waitFor(
    async () => {
      const ready = await readyServers(s.fleet);
      return ready.length === 2 && ready.some((x) => x.id === kept!.id) && !ready.some((x) => x.id === victim!.id) && (await routed(2)) ? ready : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 200, what: 'a replacement, ready and routed' },
  );
  replacedAt = Date.now();
  const r1 = await phase1;
  t.equal(r1.failed, 0, `no failed GET while it was replaced (${r1.sent} sent) ${r1.errors.join('; ')}`);
  t.equal(second.find((x) => x.id !== kept!.id)!.zone, victim!.zone, "the replacement goes to the lost server's zone");

  // the leader dies: the standby adopts both instances, restarts and launches nothing
  let ledAt = 0;
  const phase2 = drive(proxy.url, 40, 4000, async () => ledAt > 0 && Date.now() - ledAt > 4000);
  const killedAt = Date.now();
  await leader.proc.stop('SIGKILL');
  await standby.proc.waitForOutput(/leading \(fencing token \d+\)/, 30_000);
  ledAt = Date.now();
  t.comment(`standby led ${ledAt - killedAt} ms after the SIGKILL (lock TTL 2 s)`);
  t.ok(ledAt - killedAt < 2 * 2000 + 666, 'the standby leads within about the lock TTL');
  await waitFor(async () => (await standby.decisions()).length >= 2, { timeoutMs: 30_000, what: 'two decisions by the new leader' });
  const r2 = await phase2;
  t.equal(r2.failed, 0, `no failed GET across the failover (${r2.sent} sent) ${r2.errors.join('; ')}`);
  const now = (await s.fleet.registry.list()).filter((x) => x.state !== 'gone');
  t.same(now.map((x) => [x.id, x.state, x.bootId]).sort(), second.map((x) => [x.id, 'ready', x.bootId]).sort(), 'the same instances, same boot ids: adopted, none restarted');
  t.equal(await standby.metric('shoal_autoscaler_launched_total'), 0, 'the new leader launched nothing');
  for (const x of second) t.equal(await stateOf(c, x.id), 'running');
});
