// `shoal autoscaler --provider asg` end to end: the real SDKs over HTTP against the embedded
// endpoint's Auto Scaling group, whose instances boot `shoal app --provider asg` from the
// launch template's user data; traffic through a real proxy.
import { TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import t from 'tap';
import { startProxy } from '../fixtures/backend.js';
import { testEc2 } from '../helpers/ec2.js';
import { ec2Recorder } from '../helpers/ec2-recorder.js';
import { waitFor } from '../helpers/wait.js';
import { appGroup, autoscaler, drive, readyServers, stack } from './autoscaler-harness.js';

t.setTimeout(240_000);

const CREDS = { AWS_ACCESS_KEY_ID: 'AKIDSHOALTEST', AWS_SECRET_ACCESS_KEY: 'not-checked', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

t.test('shoal decides, the group launches: scale out and in by desired capacity, the drained instance is the one terminated, a hook completed only after the drain, replacements adopted, no failed request', async (t) => {
  const s = await stack(t.teardown);
  const ec2 = await testEc2(t.teardown, { asgTickMs: 200 });
  const rec = await ec2Recorder(t.teardown, ec2.endpoint.url);
  const { admin, group } = await appGroup(t.teardown, s, ec2, {
    LifecycleHookSpecificationList: [{ LifecycleHookName: 'drain', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: 60, DefaultResult: 'CONTINUE' }],
  });
  const proxy = await startProxy(t.teardown, s.redis, ['--expose-internal']);
  const flags = ['--provider', 'asg', '--group', 'web', '--region', 'us-east-1', '--autoscaling-endpoint', rec.url, '--ec2-endpoint', ec2.endpoint.url, '--min', '2', '--max', '3', '--interval', '1s', '--target-rps', '20', '--scale-down-window', '3s'];
  const a = await autoscaler(t.teardown, s, flags, CREDS);
  const routed = async (n: number) => (await proxy.pool()).members.filter((m) => m.state === 'ready' && m.up).length === n;

  // the group's own instance is adopted, min 2 raises desired to 2
  const two = await waitFor(async () => {
    const r = await readyServers(s.fleet);
    return r.length === 2 && (await routed(2)) ? r : undefined;
  }, { timeoutMs: 90_000, intervalMs: 200, what: 'two ready and routed' });
  t.ok(two.every((x) => x.provider === 'asg' && x.id === x.instanceId && /^i-/.test(x.id)), 'registered under their instance ids, provider asg');
  t.same(rec.of('SetDesiredCapacity').map((c) => c.params.DesiredCapacity), ['2'], 'desired 2: one adopted + one more');
  t.ok((await group()).Instances!.every((i) => i.ProtectedFromScaleIn), 'all protected from the group’s own scale-in');

  // load: 3 servers' worth at 20 rps each → desired 3
  let stop = false;
  const load = drive(proxy.url, 50, 20_000, async () => stop);
  await waitFor(async () => {
    const r = await readyServers(s.fleet);
    return r.length === 3 && (await routed(3)) ? r : undefined;
  }, { timeoutMs: 90_000, intervalMs: 200, what: 'three ready under load' });
  t.same(rec.of('SetDesiredCapacity').map((c) => c.params.DesiredCapacity), ['2', '3']);
  stop = true;
  const r1 = await load;
  t.equal(r1.failed, 0, `no failed GET while scaling out (${r1.sent} sent) ${r1.errors.join('; ')}`);

  // quiet: back to min 2, by draining shoal's choice and terminating exactly it
  let quiet = false;
  const trickle = drive(proxy.url, 10, 20_000, async () => quiet);
  const term = await waitFor(async () => rec.of('TerminateInstanceInAutoScalingGroup')[0], { timeoutMs: 60_000, what: 'a scale-in' });
  const drained = (await a.decisions()).flatMap((d) => d.acted.draining);
  t.same(drained, [term.params.InstanceId], 'the instance terminated is the one shoal drained');
  t.equal(term.params.ShouldDecrementDesiredCapacity, 'true');
  const done = await waitFor(async () => rec.of('CompleteLifecycleAction').find((c) => c.params.InstanceId === term.params.InstanceId), { timeoutMs: 30_000, what: 'its hook completed' });
  t.ok(done.at >= term.at, 'the hook completed after shoal asked (the drain was already done)');
  await waitFor(async () => (await group()).Instances!.length === 2, { timeoutMs: 30_000, what: 'two left in the group' });
  t.equal((await group()).DesiredCapacity, 2);

  // an operator takes one out: the hook holds it while shoal drains it; the group replaces it and shoal adopts the replacement
  const [victim] = (await readyServers(s.fleet)).filter((x) => x.id !== term.params.InstanceId);
  const before = rec.of('CompleteLifecycleAction').length;
  // the victim's registry state and in-flight count, sampled until the action is completed
  const seen: { at: number; state?: string; inflight?: number }[] = [];
  const sample = async () => seen.push({ at: Date.now(), state: (await s.fleet.registry.get(victim!.id))?.state, inflight: (await s.fleet.requests.read(victim!.address))?.inflight });
  await admin.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: victim!.id, ShouldDecrementDesiredCapacity: false }));
  const complete = await waitFor(
    async () => {
      await sample();
      return rec.of('CompleteLifecycleAction').slice(before).find((c) => c.params.InstanceId === victim!.id);
    },
    { timeoutMs: 60_000, intervalMs: 50, what: 'the hook completed by shoal' },
  );
  const last = seen.filter((x) => x.at <= complete.at).pop()!;
  t.equal(last.state, 'draining', 'drained before the action was completed');
  t.equal(last.inflight, 0, 'its in-flight count had reached 0 before');
  const after = await waitFor(async () => {
    const r = await readyServers(s.fleet);
    return r.length === 2 && !r.some((x) => x.id === victim!.id) && (await routed(2)) ? r : undefined;
  }, { timeoutMs: 90_000, intervalMs: 200, what: 'the replacement adopted, ready and routed' });
  t.ok(after.every((x) => x.provider === 'asg'));
  quiet = true;
  const r2 = await trickle;
  t.equal(r2.failed, 0, `no failed GET across the scale-in and the replacement (${r2.sent} sent) ${r2.errors.join('; ')}`);
  t.equal((await group()).DesiredCapacity, 2, 'a replacement, desired unchanged');
});
