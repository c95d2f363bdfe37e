import type { Command } from 'commander';
import { z } from 'zod';
import { advertiseAddress, appConfig, serverId, type AppConfig } from '../../app/config.js';
import type { InstanceIdentity } from '../../app/instance-identity.js';
import { createLogger } from '../../lib/log.js';
import { watchParent } from '../../lib/parent-watch.js';
import { duration, opt, parseOptions, port, redisUrl } from '../options.js';
import { action } from '../run.js';
import { addDynamoOptions, dynamoFields, dynamoSettings } from './tables.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2 };

/** "64kb", "1mb", "4096" → bytes. */
const byteSize = z.string().transform((v, ctx) => {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(v);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) < 1) {
    ctx.addIssue({ code: 'custom', message: 'expected a size like 65536, 64kb or 1mb' });
    return z.NEVER;
  }
  return Number(m[1]) * unit;
});

const Flags = z.object({
  port,
  host: z.string().min(1, { message: 'expected a host or IP address' }),
  advertise: advertiseAddress.optional(),
  redis: redisUrl,
  prefix: z.string().min(1, { message: 'expected a non-empty key prefix' }),
  serverId: serverId.optional(),
  provider: z.string().min(1),
  ...dynamoFields,
  createTables: z.boolean().optional(),
  monitors: z.boolean(),
  monitorInterval: duration.refine((ms) => ms >= 10, { message: 'expected at least 10ms' }),
  heartbeatInterval: duration.refine((ms) => ms >= 10, { message: 'expected at least 10ms' }),
  drainTimeout: duration,
  bodyLimit: byteSize,
});

/** `shoal app`: one app server — the music API, both monitors, a registry entry. */
export function registerApp(program: Command): void {
  const cmd = program
    .command('app')
    .description('run one app server: the music API on DynamoDB, registered in Redis, with request and memory monitors')
    .addOption(opt('--port <n>', 'port to listen on (0 = a free port)', 'SHOAL_PORT').default('3000'))
    .addOption(opt('--host <host>', 'address to bind', 'SHOAL_HOST').default('127.0.0.1'))
    .addOption(opt('--advertise <host:port>', 'address registered for proxies [default: the bound address]', 'SHOAL_ADVERTISE'))
    .addOption(opt('--redis <url>', 'Redis holding the fleet state', 'REDIS_URL').default('redis://127.0.0.1:6379'))
    .addOption(opt('--prefix <prefix>', 'Redis key prefix', 'SHOAL_PREFIX').default('shoal:'))
    .addOption(opt('--server-id <id>', "registry entry a launcher created (else the app makes its own)", 'SHOAL_SERVER_ID'))
    .addOption(opt('--provider <name>', 'provider recorded when the app creates its own entry; ec2: identity and bind address from IMDSv2', 'SHOAL_PROVIDER').default('manual'));
  addDynamoOptions(cmd)
    .option('--create-tables', 'create the tables on start (idempotent)')
    .option('--no-monitors', 'run without the request and memory monitors (for overhead benchmarks)')
    .addOption(opt('--monitor-interval <duration>', 'how often the monitors write Redis', 'SHOAL_MONITOR_INTERVAL').default('1s'))
    .addOption(opt('--heartbeat-interval <duration>', 'how often the registry entry is refreshed', 'SHOAL_HEARTBEAT_INTERVAL').default('2s'))
    .addOption(opt('--drain-timeout <duration>', 'on SIGTERM, how long in-flight requests may take to finish', 'SHOAL_DRAIN_TIMEOUT').default('30s'))
    .addOption(opt('--body-limit <size>', 'largest accepted request body', 'SHOAL_BODY_LIMIT').default('64kb'));

  cmd.action(
    action(async () => {
      const o = parseOptions(cmd, Flags);
      const dynamo = dynamoSettings(o);
      const log = createLogger('app');
      // On EC2 the instance says who it is: the server id, instance id and bind address
      // (its private IP) come from IMDSv2 unless given.
      let identity: InstanceIdentity | undefined;
      if (o.provider === 'ec2') {
        const { readInstanceIdentity } = await import('../../app/instance-identity.js');
        identity = await readInstanceIdentity();
        log.info(identity, 'instance identity from IMDS');
      }
      const hostGiven = cmd.getOptionValueSource('host') !== 'default';
      const config: AppConfig = appConfig.parse({
        port: o.port,
        host: identity && !hostGiven ? identity.privateIp : o.host,
        advertise: o.advertise,
        redisUrl: o.redis,
        prefix: o.prefix,
        serverId: o.serverId ?? identity?.instanceId,
        provider: o.provider,
        instanceId: identity?.instanceId,
        dynamodb: dynamo.choice,
        dataDir: dynamo.dataDir,
        tablePrefix: o.tablePrefix,
        createTables: o.createTables ?? false,
        awsRegion: dynamo.region ?? identity?.region,
        awsEnvCredentials: dynamo.envCredentials,
        monitors: o.monitors,
        monitorIntervalMs: o.monitorInterval,
        heartbeatIntervalMs: o.heartbeatInterval,
        drainTimeoutMs: o.drainTimeout,
        bodyLimitBytes: o.bodyLimit,
      } satisfies z.input<typeof appConfig>);
      const parentPid = Number(process.env.SHOAL_PARENT_PID);

      // Loaded after the flags are checked: a config error exits before Koa and the AWS SDK load.
      const { startApp } = await import('../../app/server.js');
      const app = await startApp(config, { log });
      process.stdout.write(`shoal app ${app.id} ready at ${app.url}\n`);

      let stopping = false;
      const stop = (why: string) => {
        if (stopping) {
          // A second Ctrl-C means "now": skip the rest of the drain.
          if (why === 'SIGINT') process.exit(130);
          return;
        }
        stopping = true;
        log.info({ why }, 'shutting down');
        app.close().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      if (parentPid > 0) watchParent(parentPid, () => stop('parent exited'), 1000);
    }),
  );
}
