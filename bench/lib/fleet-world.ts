// The cloud bench:fleet's autoscaler looks at, in its own process (AWS is not on the
// autoscaler's CPU, nor does it share an event loop with the app servers): the embedded EC2
// endpoint with N running instances (bare: no process each) tagged as the ec2 provider tags
// them, plus the recently terminated ones a churning fleet shows for an hour. Prints one JSON
// line `{"endpoint", "subnets"}` once they are in, then serves until SIGTERM.
// With `asg`, the N are an Auto Scaling group's (`bench`, its new instances protected from
// scale-in as shoal keeps them), launched by the group itself, and the terminated ones are
// instances of it terminated behind its back, which it replaced.
//   node --import tsx bench/lib/fleet-world.ts N TERMINATED [ec2|asg]
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { startEc2Endpoint } from '../../ec2/embedded.js';
import { createLogger } from '../../lib/log.js';

const FLEET_SUBNETS = ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'];
const [nArg, terminatedArg, mode = 'ec2'] = process.argv.slice(2);
const N = Number(nArg);
const TERMINATED = Number(terminatedArg);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const ec2 = await startEc2Endpoint({ port: 0, dataDir: `/tmp/shoal-bench-fleet-${process.pid}`, bareInstances: true, terminatedTtlMs: 3_600_000 }, { log: createLogger('ec2', 'silent') });
const creds = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const client = new EC2Client({ endpoint: ec2.url, region: 'us-east-1', credentials: creds });

// Launched 250 per call over three zones.
const tags = mode === 'asg' ? [{ Key: 'aws:autoscaling:groupName', Value: 'bench' }] : [{ Key: 'shoal:fleet', Value: 'bench' }, { Key: 'shoal:role', Value: 'app' }];
const launch = async (count: number): Promise<string[]> => {
  const ids: string[] = [];
  for (let k = 0; k < count; k += 250) {
    const n = Math.min(250, count - k);
    const r = await client.send(new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.small', MinCount: n, MaxCount: n, SubnetId: FLEET_SUBNETS[(k / 250) % 3], TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] }));
    ids.push(...r.Instances!.map((i) => i.InstanceId!));
  }
  return ids;
};
if (mode === 'asg') {
  const autoscaling = new AutoScalingClient({ endpoint: ec2.url, region: 'us-east-1', credentials: creds });
  await client.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'bench', LaunchTemplateData: { ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.small' } }));
  await autoscaling.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'bench', LaunchTemplate: { LaunchTemplateName: 'bench' }, MinSize: 0, MaxSize: N * 2, DesiredCapacity: N, VPCZoneIdentifier: FLEET_SUBNETS.join(','), NewInstancesProtectedFromScaleIn: true }));
  const inService = async (): Promise<string[]> => {
    for (;;) {
      const g = (await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['bench'] }))).AutoScalingGroups![0]!;
      const ids = (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId!);
      if (ids.length >= N) return ids;
      await new Promise((ok) => setTimeout(ok, 500));
    }
  };
  const first = await inService();
  await client.send(new TerminateInstancesCommand({ InstanceIds: first.slice(0, TERMINATED) }));
  await new Promise((ok) => setTimeout(ok, 2000));
  await inService();
  autoscaling.destroy();
} else await launch(N);
const churned = mode === 'asg' ? [] : await launch(TERMINATED);
for (let k = 0; k < churned.length; k += 250) await client.send(new TerminateInstancesCommand({ InstanceIds: churned.slice(k, k + 250) }));
client.destroy();
process.stdout.write(JSON.stringify({ endpoint: ec2.url, subnets: FLEET_SUBNETS, tag: tags[0] }) + '\n');

process.once('SIGTERM', () => void ec2.close().then(() => process.exit(0)));
