// `shoal autoscaler --provider asg --spot` end to end, through the real SDKs over HTTP against
// the embedded endpoint: the group gets its MixedInstancesPolicy and launches Spot instances
// itself (booting `shoal app --provider asg`); an interruption notice on one makes the app
// drain itself, shoal raises desired for the replacement at once, the group launches it, and
// the drained instance leaves the group with desired back down — under 100 req/s, before the
// (test-shortened) notice ends, with no failed request.
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import t from 'tap';
import { startProxy } from '../fixtures/backend.js';
import { testEc2 } from '../helpers/ec2.js';
import { ec2Recorder } from '../helpers/ec2-recorder.js';
import { waitFor } from '../helpers/wait.js';
import { appGroup, autoscaler, readyServers, spotInterruptionUnderLoad, stack } from './autoscaler-harness.js';

t.setTimeout(240_000);

const CREDS = { AWS_ACCESS_KEY_ID: 'AKIDSHOALTEST', AWS_SECRET_ACCESS_KEY: 'not-checked', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

t.test('a Spot interruption of a group instance under 100 req/s: drained, replaced by the group before the notice ends, no request fails', async (t) => {
  const s = await stack(t.teardown);
  const ec2 = await testEc2(t.teardown, { asgTickMs: 200 });
  const rec = await ec2Recorder(t.teardown, ec2.endpoint.url);
  // Empty until shoal has set the policy: every instance the group launches is then Spot.
  const { group } = await appGroup(t.teardown, s, ec2, { MinSize: 0, DesiredCapacity: 0 });
  const proxy = await startProxy(t.teardown, s.redis, ['--expose-internal']);
  const flags = ['--provider', 'asg', '--group', 'web', '--region', 'us-east-1', '--autoscaling-endpoint', rec.url, '--ec2-endpoint', ec2.endpoint.url, '--min', '2', '--max', '4', '--interval', '1s', '--spot', '--spot-max-share', '1'];
  const a = await autoscaler(t.teardown, s, flags, CREDS);
  t.match((await group()).MixedInstancesPolicy, { InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: 'price-capacity-optimized' } }, 'the MixedInstancesPolicy from --spot-max-share 1');
  const routed = async (n: number) => (await proxy.pool()).members.filter((m) => m.state === 'ready' && m.up).length === n;
  const first = await waitFor(async () => {
    const r = await readyServers(s.fleet);
    return r.length === 2 && (await routed(2)) ? r : undefined;
  }, { timeoutMs: 90_000, intervalMs: 200, what: 'two ready and routed' });
  const lifecycle = async (ids: string[]) => ((await ec2.client().send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceLifecycle);
  t.same(await lifecycle(first.map((x) => x.id)), ['spot', 'spot'], 'the group launched them as Spot');

  const noticeMs = 45_000;
  const { victim, replacement, drainingMs, replacedMs, load: r } = await spotInterruptionUnderLoad(t.teardown, { fleet: s.fleet, proxy, endpointUrl: ec2.endpoint.url, first, noticeMs });
  t.comment(`asg Spot interruption under 100 req/s: notice ${noticeMs / 1000} s; the app left the pool after ${drainingMs} ms; replacement ${replacement.id} ready and routed after ${replacedMs} ms; ${r.sent} requests, ${r.failed} failed`);
  t.ok(replacedMs < noticeMs, 'the replacement is ready before the notice ends');
  t.equal(r.failed, 0, `no failed request (${r.sent} sent) ${r.errors.join('; ')}`);
  t.same(await lifecycle([replacement.id]), ['spot'], 'the replacement is Spot too');
  t.equal(replacement.provider, 'asg');
  t.same(rec.of('SetDesiredCapacity').map((c) => c.params.DesiredCapacity), ['2', '3'], 'desired raised for the replacement at once (2 live + 1)');
  const left = await waitFor(async () => rec.of('TerminateInstanceInAutoScalingGroup').find((c) => c.params.InstanceId === victim.id), { timeoutMs: noticeMs, what: 'the drained one taken out of the group' });
  t.equal(left.params.ShouldDecrementDesiredCapacity, 'true', 'with desired back down');
  t.same((await a.decisions()).flatMap((d) => d.acted.launched).length > 0, true);
  await waitFor(async () => {
    const g = await group();
    return g.DesiredCapacity === 2 && !g.Instances!.some((i) => i.InstanceId === victim.id) || undefined;
  }, { timeoutMs: noticeMs, what: 'the group at 2 without the victim' });
});
