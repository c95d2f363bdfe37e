import { AutoScalingClient, CreateAutoScalingGroupCommand, DeleteAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, EC2Client } from '@aws-sdk/client-ec2';
import { renderUserData } from '../../ec2/user-data.js';

/** The group `shoal up --provider asg` creates on its embedded endpoint, and its terminating hook. */
export const EMBEDDED_GROUP = 'shoal-up';
const HOOK = 'shoal-drain';

export interface EmbeddedGroupOptions {
  endpoint: string;
  region: string;
  subnets: readonly string[];
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** What the instances' `shoal app --provider asg` connects to (this run's embedded Redis and DynamoDB). */
  redisUrl: string;
  prefix: string;
  dynamodb: string;
  tablePrefix: string;
  min: number;
  max: number;
  /** Names this run's launch template (a new one each run: its user data names this run's Redis). */
  runId: number;
}

/**
 * What an operator has before shoal joins: a launch template whose user data boots
 * `shoal app --provider asg` against this stack, and an Auto Scaling group over the
 * endpoint's subnets with a terminating lifecycle hook (so scale-ins wait for the drain).
 * A group left by an earlier run (its instances died with that run) is replaced.
 */
export async function createEmbeddedGroup(o: EmbeddedGroupOptions): Promise<void> {
  const conf = { endpoint: o.endpoint, region: o.region, credentials: o.credentials, maxAttempts: 3 };
  const ec2 = new EC2Client(conf);
  const asg = new AutoScalingClient(conf);
  try {
    const userData = renderUserData({
      region: o.region,
      fleet: EMBEDDED_GROUP,
      releaseUrl: 'https://shoal.invalid/embedded-release.tgz',
      redisUrl: o.redisUrl,
      prefix: o.prefix,
      dynamodb: o.dynamodb,
      tablePrefix: o.tablePrefix,
      provider: 'asg',
    });
    const template = `${EMBEDDED_GROUP}-app-${o.runId}`;
    await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: template, LaunchTemplateData: { ImageId: 'ami-00000000000000000', InstanceType: 't3.small', UserData: Buffer.from(userData).toString('base64') } }));
    const old = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [EMBEDDED_GROUP] }));
    if (old.AutoScalingGroups?.length) await asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: EMBEDDED_GROUP, ForceDelete: true }));
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: EMBEDDED_GROUP,
        LaunchTemplate: { LaunchTemplateName: template },
        MinSize: o.min,
        MaxSize: o.max,
        DesiredCapacity: o.min,
        VPCZoneIdentifier: o.subnets.join(','),
        LifecycleHookSpecificationList: [{ LifecycleHookName: HOOK, LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: 60, DefaultResult: 'CONTINUE' }],
      }),
    );
  } finally {
    ec2.destroy();
    asg.destroy();
  }
}
