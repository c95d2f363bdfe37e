import { chmodSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from '../../lib/errors.js';
import { hasSecret, renderUserData } from '../../ec2/user-data.js';
import { opt, parseOptions, port, redisUrl } from '../options.js';
import { action } from '../run.js';

const Flags = z.object({
  redisUrl: redisUrl.optional(),
  redisUrlParameter: z.string().min(1).optional(),
  region: z.string({ message: 'expected a region like us-east-1' }).min(1, { message: 'expected a region like us-east-1' }),
  fleet: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1-64 letters, digits or ._-' }),
  releaseUrl: z.string({ message: 'expected the release tarball URL' }).regex(/^(https?:\/\/|s3:\/\/)\S+$/, { message: 'expected an https:// or s3:// URL of the release tarball' }),
  prefix: z.string().min(1).optional(),
  dynamodb: z.url({ message: 'expected an endpoint URL' }).optional(),
  tablePrefix: z.string().optional(),
  appPort: port.refine((p) => p > 0, { message: 'expected a port 1-65535' }),
  out: z.string().min(1).optional(),
  provider: z.enum(['ec2', 'asg'], { message: 'expected ec2 or asg' }),
});

/** `shoal ec2 user-data`: prints (or writes, 0600) the cloud-init user data that boots an app server. */
export function registerUserData(ec2: Command): void {
  const cmd = ec2
    .command('user-data')
    .description('print the cloud-init user data that installs the release, writes /etc/shoal/app.env and starts `shoal app` under systemd')
    .addOption(opt('--redis-url <url>', 'Redis URL written to app.env (a URL with a password needs --out)', 'REDIS_URL'))
    .addOption(opt('--redis-url-parameter <name>', 'SSM SecureString holding the Redis URL, fetched at boot instead', 'SHOAL_REDIS_URL_PARAMETER'))
    .addOption(opt('--region <region>', 'AWS region of the fleet', 'AWS_REGION'))
    .addOption(opt('--fleet <name>', 'fleet name (the shoal:fleet tag)', 'SHOAL_FLEET').default('default'))
    .addOption(opt('--release-url <url>', 'https:// or s3:// URL of the shoal release tarball (npm pack)', 'SHOAL_RELEASE_URL'))
    .addOption(opt('--prefix <prefix>', 'Redis key prefix', 'SHOAL_PREFIX'))
    .addOption(opt('--dynamodb <url>', 'DynamoDB endpoint URL (default: AWS DynamoDB in the region)'))
    .addOption(opt('--table-prefix <prefix>', 'DynamoDB table name prefix', 'SHOAL_TABLE_PREFIX'))
    .addOption(opt('--app-port <n>', 'port the app listens on', 'SHOAL_APP_PORT').default('8080'))
    .option('--provider <ec2|asg>', 'who launches the app servers: the ec2 provider, or an Auto Scaling group (--provider asg)', 'ec2')
    .option('--out <file>', 'write the user data to FILE (mode 0600) instead of stdout');
  cmd.action(
    action(() => {
      const o = parseOptions(cmd, Flags);
      if (!o.redisUrl === !o.redisUrlParameter) throw new ConfigError('invalid --redis-url (REDIS_URL): give exactly one of --redis-url and --redis-url-parameter');
      // A password in the user data is a secret: it goes to a 0600 file, never to a terminal.
      if (hasSecret(o.redisUrl) && !o.out) throw new ConfigError('invalid --redis-url (REDIS_URL): the URL has a password; write the user data with --out FILE (0600) or use --redis-url-parameter');
      let script: string;
      try {
        script = renderUserData({ ...o, port: o.appPort });
      } catch (err) {
        throw new ConfigError(`invalid user data value: ${(err as Error).message}`);
      }
      if (o.out) {
        writeFileSync(o.out, script, { mode: 0o600 });
        chmodSync(o.out, 0o600);
      }
      else process.stdout.write(script);
    }),
  );
}
