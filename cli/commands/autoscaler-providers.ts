import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Fleet } from '../../fleet/index.js';
import { ConfigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { duration, opt, positiveInt } from '../options.js';

const list = z.string().transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean));

/** The flags of the `local` and `ec2` providers, validated with the autoscaler's. */
export const providerFields = {
  provider: z.enum(['local', 'ec2'], { message: 'expected local or ec2' }),
  appCommand: z.string().trim().min(1, { message: 'expected a command' }).optional(),
  dataDir: z.string().min(1, { message: 'expected a directory' }),
  zones: list.pipe(z.array(z.string()).min(1, { message: 'expected comma-separated zone labels' })),
  fleet: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1-64 letters, digits or ._-' }),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: 'expected a region like eu-west-1' }).optional(),
  ec2Endpoint: z.url({ message: 'expected an http(s):// URL' }).optional(),
  launchTemplate: z.string().min(1).optional(),
  launchTemplateVersion: z.string().regex(/^(\$Default|\$Latest|\d+)$/, { message: 'expected $Default, $Latest or a version number' }),
  imageId: z.string().regex(/^ami-[0-9a-f]+$/, { message: 'expected an AMI id like ami-0123456789abcdef0' }).optional(),
  instanceTypes: list,
  subnets: list,
  securityGroups: list,
  instanceProfile: z.string().min(1).optional(),
  keyName: z.string().min(1).optional(),
  userDataFile: z.string().min(1).optional(),
  releaseUrl: z.string().optional(),
  redisUrlParameter: z.string().optional(),
  ec2Attempts: positiveInt,
  ec2Backoff: duration,
};

/** Declares the provider flags on `shoal autoscaler`. */
export function addProviderOptions(cmd: Command): Command {
  return cmd
    .addOption(opt('--provider <name>', 'where app servers run: local (detached processes) or ec2 (instances)', 'SHOAL_PROVIDER').default('local'))
    .addOption(opt('--app-command <command>', 'local: run this instead of `shoal app --port 0` (space-separated; for tests)', 'SHOAL_APP_COMMAND'))
    .addOption(opt('--data-dir <dir>', 'local: pid files (shared by every autoscaler of the fleet on this host) and app logs', 'SHOAL_DATA_DIR').default('.shoal'))
    .addOption(opt('--zones <list>', 'local: zone labels launches are spread over', 'SHOAL_ZONES').default('local-a,local-b,local-c'))
    .addOption(opt('--fleet <name>', 'ec2: the shoal:fleet tag of the instances launched, listed and terminated', 'SHOAL_FLEET').default('default'))
    .addOption(opt('--region <region>', 'ec2: AWS region', 'AWS_REGION'))
    .addOption(opt('--ec2-endpoint <url>', 'ec2: EC2 API endpoint (the embedded `shoal ec2 endpoint`) [default: AWS]', 'AWS_ENDPOINT_URL_EC2'))
    .addOption(opt('--launch-template <id|name>', 'ec2: launch template (lt-… id or name)', 'SHOAL_LAUNCH_TEMPLATE'))
    .addOption(opt('--launch-template-version <v>', 'ec2: $Default, $Latest or a number', 'SHOAL_LAUNCH_TEMPLATE_VERSION').default('$Default'))
    .addOption(opt('--image-id <ami>', 'ec2: AMI (without a launch template, or overriding its)', 'SHOAL_IMAGE_ID'))
    .addOption(opt('--instance-types <list>', 'ec2: instance types in order of preference (the next when a zone has no capacity)', 'SHOAL_INSTANCE_TYPES').default(''))
    .addOption(opt('--subnets <list>', 'ec2: subnet ids, one per zone; launches spread over them', 'SHOAL_SUBNETS').default(''))
    .addOption(opt('--security-groups <list>', 'ec2: security group ids', 'SHOAL_SECURITY_GROUPS').default(''))
    .addOption(opt('--instance-profile <name|arn>', 'ec2: IAM instance profile of the app servers', 'SHOAL_INSTANCE_PROFILE'))
    .addOption(opt('--key-name <name>', 'ec2: EC2 key pair', 'SHOAL_KEY_NAME'))
    .addOption(opt('--user-data-file <file>', 'ec2: boot script (e.g. from `shoal ec2 user-data --out`) [default: the template\'s, or rendered with --release-url]', 'SHOAL_USER_DATA_FILE'))
    .addOption(opt('--release-url <url>', 'ec2: render the user data for this release (https:// or s3:// tarball)', 'SHOAL_RELEASE_URL'))
    .addOption(opt('--redis-url-parameter <name>', 'ec2: with --release-url, the SSM parameter the instances read the Redis URL from (else --redis goes in the user data)', 'SHOAL_REDIS_URL_PARAMETER'))
    .addOption(opt('--ec2-attempts <n>', 'ec2: RunInstances tries per subnet and type on throttling or capacity errors', 'SHOAL_EC2_ATTEMPTS').default('3'))
    .addOption(opt('--ec2-backoff <duration>', 'ec2: first back-off between those tries (doubling, jittered)', 'SHOAL_EC2_BACKOFF').default('1s'));
}

type ProviderFlags = z.output<z.ZodObject<typeof providerFields>> & {
  redis: string;
  prefix: string;
  dynamodb?: string;
  tablePrefix?: string;
  drainTimeout: number;
};

/** The ec2 provider's own rules, checked at the edge like every flag. */
export function checkProviderFlags(o: ProviderFlags): void {
  if (o.provider !== 'ec2') return;
  if (o.subnets.length === 0) throw new ConfigError('invalid --subnets (SHOAL_SUBNETS): the ec2 provider needs at least one subnet');
  if (!o.launchTemplate && !o.imageId) throw new ConfigError('invalid --image-id (SHOAL_IMAGE_ID): give --launch-template or --image-id');
  if (!o.region) throw new ConfigError('invalid --region (AWS_REGION): the ec2 provider needs a region');
  if (o.userDataFile && o.releaseUrl) throw new ConfigError('invalid --release-url (SHOAL_RELEASE_URL): give --user-data-file or --release-url, not both');
}

/** Builds the configured provider (the ec2 one has learnt its subnets' zones). */
export async function buildProvider(o: ProviderFlags, fleet: Fleet, log: Logger) {
  const killTimeoutMs = Math.max(o.drainTimeout, 1000) + 5000;
  if (o.provider === 'local') {
    const { LocalProvider } = await import('../../autoscaler/providers/local.js');
    const { localStateDir } = await import('../../autoscaler/providers/local-state.js');
    return new LocalProvider({
      fleet,
      redisUrl: o.redis,
      prefix: o.prefix,
      dynamodb: o.dynamodb,
      tablePrefix: o.tablePrefix,
      command: o.appCommand?.split(/\s+/),
      killTimeoutMs,
      stateDir: localStateDir(o.dataDir, o.prefix),
      logDir: join(resolve(o.dataDir), 'logs', 'servers'),
      zones: o.zones,
      stackPid: Number(process.env.SHOAL_PARENT_PID) || undefined,
      log,
    });
  }
  const { EC2Client } = await import('@aws-sdk/client-ec2');
  const { Ec2Provider } = await import('../../autoscaler/providers/ec2.js');
  const lt = o.launchTemplate;
  const provider = new Ec2Provider({
    fleet,
    client: new EC2Client({ region: o.region, ...(o.ec2Endpoint ? { endpoint: o.ec2Endpoint } : {}) }),
    fleetName: o.fleet,
    ...(lt ? { launchTemplate: /^lt-[0-9a-f]+$/.test(lt) ? { id: lt, version: o.launchTemplateVersion } : { name: lt, version: o.launchTemplateVersion } } : {}),
    imageId: o.imageId,
    instanceTypes: o.instanceTypes,
    subnets: o.subnets,
    securityGroups: o.securityGroups,
    instanceProfile: o.instanceProfile,
    keyName: o.keyName,
    userData: await userData(o),
    retry: { attempts: o.ec2Attempts, baseMs: o.ec2Backoff, maxMs: Math.max(o.ec2Backoff * 8, o.ec2Backoff) },
    log,
  });
  await provider.init();
  return provider;
}

async function userData(o: ProviderFlags): Promise<string | undefined> {
  if (o.userDataFile) {
    try {
      return readFileSync(o.userDataFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`invalid --user-data-file (SHOAL_USER_DATA_FILE): ${(err as Error).message}`);
    }
  }
  if (!o.releaseUrl) return undefined;
  const { renderUserData } = await import('../../ec2/user-data.js');
  try {
    return renderUserData({
      region: o.region!,
      fleet: o.fleet,
      releaseUrl: o.releaseUrl,
      ...(o.redisUrlParameter ? { redisUrlParameter: o.redisUrlParameter } : { redisUrl: o.redis }),
      prefix: o.prefix,
      ...(o.dynamodb && o.dynamodb !== 'aws' ? { dynamodb: o.dynamodb } : {}),
      ...(o.tablePrefix ? { tablePrefix: o.tablePrefix } : {}),
    });
  } catch (err) {
    throw new ConfigError(`invalid --release-url (SHOAL_RELEASE_URL): ${(err as Error).message.split('\n')[0]}`);
  }
}
