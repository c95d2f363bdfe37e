import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { Fleet } from '../../fleet/index.js';
import { ConfigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { flag, type Values } from '../flags.js';
import { duration, nonNegativeInt, positiveInt } from '../options.js';

const list = z.string().transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean));

/** The flags of the `local`, `ec2` and `asg` providers: part of `autoscalerTier`, so `shoal up` reuses them. */
export const providerFlags = {
  provider: flag({ arg: '<name>', help: 'where app servers run: local (detached processes), ec2 (instances) or asg (an Auto Scaling group)', default: 'local', schema: z.enum(['local', 'ec2', 'asg'], { message: 'expected local, ec2 or asg' }) }),
  appCommand: flag({ arg: '<command>', help: 'local: run this instead of `shoal app --port 0` (space-separated; for tests)', schema: z.string().trim().min(1, { message: 'expected a command' }).optional() }),
  dataDir: flag({ arg: '<dir>', help: 'local: pid files (shared by every autoscaler of the fleet on this host) and app logs', env: 'SHOAL_DATA_DIR', default: '.shoal', schema: z.string().min(1, { message: 'expected a directory' }) }),
  bootNice: flag({
    arg: '<n>',
    help: 'local: nice level a new app server boots at until ready, so the servers already serving keep the CPU (0 = none)',
    default: '10',
    schema: nonNegativeInt.max(19, { message: 'expected a nice level 0-19' }),
  }),
  zones: flag({ arg: '<list>', help: 'local: zone labels launches are spread over', default: 'local-a,local-b,local-c', schema: list.pipe(z.array(z.string()).min(1, { message: 'expected comma-separated zone labels' })) }),
  serverTags: flag({
    arg: '<list>',
    help: "labels on each server's registry entry (the Chaos Monkey kills only servers with its --opt-in-tag); ec2 also tags the instance shoal:tags",
    default: '',
    schema: list.pipe(z.array(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected comma-separated tags of letters, digits or ._-' }))),
  }),
  fleet: flag({ arg: '<name>', help: 'ec2: the shoal:fleet tag of the instances launched, listed and terminated', default: 'default', schema: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1-64 letters, digits or ._-' }) }),
  group: flag({ arg: '<name>', help: 'asg: the Auto Scaling group shoal decides for (it launches from its own launch template)', schema: z.string().min(1).max(255).optional() }),
  autoscalingEndpoint: flag({ arg: '<url>', help: 'asg: Auto Scaling API endpoint (the embedded `shoal ec2 endpoint`) [default: AWS]', env: 'AWS_ENDPOINT_URL_AUTO_SCALING', schema: z.url({ message: 'expected an http(s):// URL' }).optional() }),
  region: flag({ arg: '<region>', help: 'ec2, asg: AWS region', env: 'AWS_REGION', schema: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: 'expected a region like eu-west-1' }).optional() }),
  ec2Endpoint: flag({ arg: '<url>', help: 'ec2, asg: EC2 API endpoint (the embedded `shoal ec2 endpoint`) [default: AWS]', env: 'AWS_ENDPOINT_URL_EC2', schema: z.url({ message: 'expected an http(s):// URL' }).optional() }),
  launchTemplate: flag({ arg: '<id|name>', help: 'ec2: launch template (lt-… id or name)', schema: z.string().min(1).optional() }),
  launchTemplateVersion: flag({ arg: '<v>', help: 'ec2: $Default, $Latest or a number', default: '$Default', schema: z.string().regex(/^(\$Default|\$Latest|\d+)$/, { message: 'expected $Default, $Latest or a version number' }) }),
  imageId: flag({ arg: '<ami>', help: 'ec2: AMI (without a launch template, or overriding its)', schema: z.string().regex(/^ami-[0-9a-f]+$/, { message: 'expected an AMI id like ami-0123456789abcdef0' }).optional() }),
  instanceTypes: flag({ arg: '<list>', help: 'ec2: instance types in order of preference (the next when a zone has no capacity)', default: '', schema: list }),
  subnets: flag({ arg: '<list>', help: 'ec2: subnet ids, one per zone; launches spread over them', default: '', schema: list }),
  securityGroups: flag({ arg: '<list>', help: 'ec2: security group ids', default: '', schema: list }),
  instanceProfile: flag({ arg: '<name|arn>', help: 'ec2: IAM instance profile of the app servers', schema: z.string().min(1).optional() }),
  keyName: flag({ arg: '<name>', help: 'ec2: EC2 key pair', schema: z.string().min(1).optional() }),
  userDataFile: flag({ arg: '<file>', help: "ec2: boot script (e.g. from `shoal ec2 user-data --out`) [default: the template's, or rendered with --release-url]", schema: z.string().min(1).optional() }),
  releaseUrl: flag({ arg: '<url>', help: 'ec2: render the user data for this release (https:// or s3:// tarball)', schema: z.string().optional() }),
  redisUrlParameter: flag({ arg: '<name>', help: 'ec2: with --release-url, the SSM parameter the instances read the Redis URL from (else --redis goes in the user data)', schema: z.string().optional() }),
  spot: flag({ help: "ec2: launch Spot instances (On-Demand when Spot has no capacity, and above --spot-max-share); asg: set the group's MixedInstancesPolicy so it does", schema: z.boolean().optional() }),
  spotOnDemandBase: flag({ arg: '<n>', help: 'asg: with --spot, the On-Demand base capacity (the first n instances are never Spot)', default: '0', schema: nonNegativeInt }),
  spotMaxShare: flag({ arg: '<fraction>', help: 'ec2, asg: with --spot, the most of the fleet (asg: above the base) that may be Spot', default: '0.8', schema: z.coerce.number({ message: 'expected a fraction like 0.8' }).min(0, { message: 'expected a fraction 0-1' }).max(1, { message: 'expected a fraction 0-1' }) }),
  ec2Attempts: flag({ arg: '<n>', help: 'ec2: RunInstances tries per subnet and type on throttling or capacity errors', default: '3', schema: positiveInt }),
  ec2Backoff: flag({ arg: '<duration>', help: 'ec2: first back-off between those tries (doubling, jittered)', default: '1s', schema: duration }),
  ec2Resync: flag({ arg: '<duration>', help: 'ec2, asg: how often the whole fleet (asg: and group) is listed in the background; each tick lists only what changed; 0 = all, every tick', default: '30s', schema: duration }),
};

type ProviderFlags = Values<typeof providerFlags> & {
  redis: string;
  prefix: string;
  dynamodb?: string;
  tablePrefix?: string;
  drainTimeout: number;
};

/** The ec2 provider's own rules, checked at the edge with the tier's other checks: the flag to blame and why. */
export function checkProviderFlags(o: Values<typeof providerFlags>): { key: keyof typeof providerFlags; message: string } | undefined {
  if (o.provider === 'asg') {
    if (!o.group) return { key: 'group', message: 'the asg provider needs the Auto Scaling group' };
    if (!o.region) return { key: 'region', message: 'the asg provider needs a region' };
    return undefined;
  }
  if (o.provider !== 'ec2') return undefined;
  if (o.subnets.length === 0) return { key: 'subnets', message: 'the ec2 provider needs at least one subnet' };
  if (!o.launchTemplate && !o.imageId) return { key: 'imageId', message: 'give --launch-template or --image-id' };
  if (!o.region) return { key: 'region', message: 'the ec2 provider needs a region' };
  if (o.userDataFile && o.releaseUrl) return { key: 'releaseUrl', message: 'give --user-data-file or --release-url, not both' };
  return undefined;
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
      bootNice: o.bootNice,
      dataDir: resolve(o.dataDir),
      tags: o.serverTags,
      stackPid: Number(process.env.SHOAL_PARENT_PID) || undefined,
      log,
    });
  }
  const { EC2Client } = await import('@aws-sdk/client-ec2');
  if (o.provider === 'asg') {
    const { AutoScalingClient } = await import('@aws-sdk/client-auto-scaling');
    const { AsgProvider } = await import('../../autoscaler/providers/asg.js');
    const provider = new AsgProvider({
      fleet,
      autoscaling: new AutoScalingClient({ region: o.region, ...(o.autoscalingEndpoint ? { endpoint: o.autoscalingEndpoint } : {}) }),
      ec2: new EC2Client({ region: o.region, ...(o.ec2Endpoint ? { endpoint: o.ec2Endpoint } : {}) }),
      group: o.group!,
      serverTags: o.serverTags,
      launchWaitMs: 30_000,
      // Well inside AWS's shortest heartbeat timeout (30 s).
      heartbeatEveryMs: 10_000,
      resyncMs: o.ec2Resync,
      ...(o.spot ? { spot: { maxShare: o.spotMaxShare, onDemandBase: o.spotOnDemandBase } } : {}),
      log,
    });
    await provider.init();
    return provider;
  }
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
    ...(o.spot ? { spot: { maxShare: o.spotMaxShare } } : {}),
    retry: { attempts: o.ec2Attempts, baseMs: o.ec2Backoff, maxMs: Math.max(o.ec2Backoff * 8, o.ec2Backoff) },
    resyncMs: o.ec2Resync,
    serverTags: o.serverTags,
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
      throw new ConfigError(`invalid --user-data-file (SHOAL_AUTOSCALER_USER_DATA_FILE): ${(err as Error).message}`);
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
    throw new ConfigError(`invalid --release-url (SHOAL_AUTOSCALER_RELEASE_URL): ${(err as Error).message.split('\n')[0]}`);
  }
}
