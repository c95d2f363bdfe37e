// `shoal up --provider asg`: the stack's embedded endpoint with an Auto Scaling group (a
// launch template whose user data boots `shoal app --provider asg`, a terminating hook), the
// autoscaler deciding for it through the real SDK; the API served through the proxy.
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeLifecycleHooksCommand } from '@aws-sdk/client-auto-scaling';
import t from 'tap';
import { spawnShoal } from '../helpers/proc.js';
import { startUp } from '../helpers/up.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(240_000);

t.test('shoal up --provider asg: the group launches min servers, shoal adopts and protects them, the API serves', async (t) => {
  const { stack, dataDir, proc } = await startUp(t, ['--provider', 'asg', '--min', '2', '--max', '3']);
  t.match(proc.stdout(), /asg\s+ready\s+group shoal-up \(min 2, max 3/, 'the group is announced');
  t.ok(stack.ec2?.endpoint, 'the embedded endpoint is in stack.json');
  const asg = new AutoScalingClient({ endpoint: stack.ec2!.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  t.teardown(() => asg.destroy());
  const g = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['shoal-up'] }))).AutoScalingGroups![0]!;
  t.match(g, { MinSize: 2, MaxSize: 3, DesiredCapacity: 2 });
  t.equal(g.Instances!.filter((i) => i.LifecycleState === 'InService').length, 2, 'two in service');
  const hooks = await asg.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: 'shoal-up' }));
  t.same(hooks.LifecycleHooks!.map((h) => h.LifecycleTransition), ['autoscaling:EC2_INSTANCE_TERMINATING'], 'scale-ins wait for the drain');

  const status = spawnShoal(t.teardown, ['status', '--json', '--data-dir', dataDir]);
  t.equal(await status.exited(), 0);
  const view = JSON.parse(status.stdout()) as { servers: { id: string; state: string; provider: string }[] };
  const ready = view.servers.filter((s) => s.state === 'ready');
  t.equal(ready.length, 2, 'two ready');
  t.ok(ready.every((s) => s.provider === 'asg' && /^i-[0-9a-f]+$/.test(s.id)), 'the group’s instances, registered under their instance ids, provider asg');
  t.same(ready.map((s) => s.id).sort(), g.Instances!.map((i) => i.InstanceId).sort(), 'exactly the group’s members');

  const protectedAll = await waitFor(async () => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['shoal-up'] }))).AutoScalingGroups![0]!.Instances!.every((i) => i.ProtectedFromScaleIn), { timeoutMs: 30_000, what: 'scale-in protection on every member' });
  t.ok(protectedAll, 'every member protected from the group’s own scale-in (shoal picks who leaves)');

  const list = await fetch(`${stack.proxy!.url}/api/v1/music?limit=5`);
  t.equal(list.status, 200, 'the API answers through the proxy');
});
