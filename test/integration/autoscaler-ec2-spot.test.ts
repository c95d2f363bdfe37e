// Spot with the ec2 provider, through the real SDK against the embedded endpoint: the Spot
// share cap and the On-Demand fallback in-process; then `shoal autoscaler --spot` end to end,
// where an interruption notice (shoal ec2 interrupt) makes the app drain itself and the
// autoscaler replace it before the (test-shortened) notice runs out, under 100 req/s.
import { DescribeInstancesCommand, EC2Client, type Instance as Ec2Instance } from '@aws-sdk/client-ec2';
import t from 'tap';
import { Ec2Provider } from '../../autoscaler/providers/ec2.js';
import { createLogger } from '../../lib/log.js';
import { startProxy } from '../fixtures/backend.js';
import { testEc2 } from '../helpers/ec2.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { autoscaler, readyServers, spotInterruptionUnderLoad, stack } from './autoscaler-harness.js';

t.setTimeout(240_000);

const AMI = 'ami-0123456789abcdef0';
const SUBNETS = ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'];
const CREDS = { AWS_ACCESS_KEY_ID: 'AKIDSHOALTEST', AWS_SECRET_ACCESS_KEY: 'not-checked', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

async function described(c: EC2Client, ids: string[]): Promise<Ec2Instance[]> {
  const r = await c.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []);
}

t.test('Spot up to the share cap, On-Demand above it and when Spot has no capacity', async (t) => {
  const ec2 = await testEc2(t.teardown);
  const redis = await testRedis(t.teardown);
  const client = ec2.client();
  const p = new Ec2Provider({ fleet: redis.fleet, client: ec2.client(), fleetName: 'blue', imageId: AMI, instanceTypes: ['t3.small'], subnets: SUBNETS, securityGroups: [], spot: { maxShare: 0.5 }, retry: { attempts: 2, baseMs: 10, maxMs: 20 }, log: createLogger('test', 'silent') });
  await p.init();
  const ids = await p.launch(4, []);
  const markets = (await described(client, ids)).map((i) => i.InstanceLifecycle ?? 'on-demand');
  t.same(markets.sort(), ['on-demand', 'on-demand', 'spot', 'spot'], 'half Spot at most');
  t.same((await p.list()).filter((i) => i.market === 'spot').length, 2, 'the listing says which are Spot (cost, the share)');
  ec2.endpoint.faults.update({ noSpotCapacity: true });
  const more = await p.launch(1, []);
  t.equal((await described(client, more))[0]!.InstanceLifecycle, undefined, 'no Spot capacity: On-Demand at once');
});

t.test('an interruption notice under 100 req/s: the app drains itself, the replacement is ready before the notice ends, no request fails', async (t) => {
  const s = await stack(t.teardown);
  const ec2 = await testEc2(t.teardown);
  const proxy = await startProxy(t.teardown, s.redis, ['--expose-internal']);
  const flags = [
    '--provider', 'ec2', '--ec2-endpoint', ec2.endpoint.url, '--region', 'us-east-1', '--subnets', SUBNETS.join(','), '--image-id', AMI, '--instance-types', 't3.small',
    '--fleet', 'blue', '--release-url', 'https://releases.invalid/shoal.tgz', '--spot', '--spot-max-share', '1', '--min', '2', '--max', '4', '--interval', '1s',
  ];
  await autoscaler(t.teardown, s, flags, CREDS);
  const routed = async (n: number) => (await proxy.pool()).members.filter((m) => m.state === 'ready' && m.up).length === n;
  const first = await waitFor(async () => {
    const r = await readyServers(s.fleet);
    return r.length === 2 && (await routed(2)) ? r : undefined;
  }, { timeoutMs: 90_000, intervalMs: 200, what: 'two ready and routed' });
  t.same((await described(ec2.client(), first.map((x) => x.id))).map((i) => i.InstanceLifecycle), ['spot', 'spot']);

  const noticeMs = 45_000;
  const { victim, replacement, drainingMs, replacedMs, cliOut, load: r } = await spotInterruptionUnderLoad(t.teardown, { fleet: s.fleet, proxy, endpointUrl: ec2.endpoint.url, first, noticeMs });
  t.match(cliOut, new RegExp(`${victim.id}: interruption notice issued, terminating at`), 'shoal ec2 interrupt says what it did');
  t.comment(`Spot interruption under 100 req/s: notice ${noticeMs / 1000} s; the app left the pool after ${drainingMs} ms; replacement ${replacement.id} (${replacement.zone}) ready and routed after ${replacedMs} ms; ${r.sent} requests, ${r.failed} failed`);
  t.ok(replacedMs < noticeMs, 'the replacement is ready before the notice ends');
  t.equal(r.failed, 0, `no failed request (${r.sent} sent) ${r.errors.join('; ')}`);
  await waitFor(async () => (await described(ec2.client(), [victim.id]))[0]!.State!.Name !== 'running', { timeoutMs: noticeMs, what: 'the interrupted instance terminated (drained, by the autoscaler)' });
});
