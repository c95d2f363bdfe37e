import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { AUTH_MODES, COMPAT_AUTH_MODES, tablePrefix } from '../../app/config.js';
import { createLogger } from '../../lib/log.js';
import { addFlags, childFlags, flag, parseFlags, tier, type Reuse } from '../flags.js';
import { duration, fleetRedisUrl, logLevelFlag, optionalRedisFlag, port, positiveInt, prefixFlag, sentinelFlags } from '../options.js';
import { action, fail } from '../run.js';
import { checkPrometheusInstalled } from '../stack/prometheus.js';
import { Supervisor } from '../stack/supervisor.js';
import { autoscalerTier } from './autoscaler.js';
import { proxyTier } from './proxy.js';

/** What only `shoal up` has: where the stack's state lives and how it starts. */
export const upTier = tier({
  name: 'up',
  flags: {
    redis: optionalRedisFlag('use this Redis instead of starting redis-server'),
    prefix: prefixFlag,
    dynamodb: flag({
      arg: '<embedded|URL>',
      help: 'DynamoDB: embedded dynalite or an endpoint URL',
      env: 'DYNAMODB_ENDPOINT',
      default: 'embedded',
      schema: z.string().refine((v) => v === 'embedded' || /^https?:\/\/[^/]+/.test(v), { message: 'expected embedded or an http(s):// endpoint URL' }),
    }),
    tablePrefix: flag({ arg: '<prefix>', help: 'DynamoDB table name prefix', env: 'SHOAL_TABLE_PREFIX', default: 'shoal-', schema: tablePrefix }),
    dataDir: flag({ arg: '<dir>', help: 'stack.json, logs and embedded data', env: 'SHOAL_DATA_DIR', default: '.shoal', schema: z.string().min(1) }),
    seed: flag({ help: 'do not load the sample data on first run', negate: true, schema: z.boolean() }),
    redisHa: flag({ help: 'embedded Redis as a primary, a replica and three redis-sentinel processes; every tier connects through Sentinel', schema: z.boolean().optional() }),
    redisSentinels: { ...sentinelFlags.redisSentinels, help: 'use the Redis behind these Sentinels instead of starting redis-server' },
    redisSentinelName: { ...sentinelFlags.redisSentinelName, help: 'the master name Sentinel watches (--redis-ha, --redis-sentinels)' },
    redisPassword: sentinelFlags.redisPassword,
    readyTimeout: flag({ arg: '<duration>', help: 'how long each component may take to start', default: '60s', schema: duration }),
    // The app servers' auth modes: handed to them in the environment, through the autoscaler.
    auth: flag({ arg: '<mode>', help: 'bearer tokens for the API: off, writes (reads stay open) or all', default: 'writes', schema: z.enum(AUTH_MODES, { message: 'expected off, writes or all' }) }),
    compatAuth: flag({ arg: '<mode>', help: 'course API: any Authorization value (any) or a token from its /login (strict)', default: 'any', schema: z.enum(COMPAT_AUTH_MODES, { message: 'expected any or strict' }) }),
    logLevel: logLevelFlag,
    restartBurst: flag({ arg: '<n>', help: 'a child restarted more often than this within --restart-window stops the stack', default: '5', schema: positiveInt }),
    restartWindow: flag({ arg: '<duration>', help: 'the window --restart-burst counts in', default: '60s', schema: duration }),
    prometheus: flag({ help: "run Debian's prometheus against the stack (service discovery through the autoscaler's /sd)", schema: z.boolean().optional() }),
    prometheusPort: flag({ arg: '<port>', help: 'its web port on loopback (0 = any free port)', default: '0', schema: port }),
    prometheusInterval: flag({ arg: '<duration>', help: 'its scrape, rule and discovery interval', default: '15s', schema: duration.refine((v) => v >= 1000, { message: 'expected at least 1s' }) }),
  },
  check: (o) => {
    if (o.redisHa && (o.redis || o.redisSentinels)) return { key: 'redisHa', message: 'starts its own Redis primary, replica and sentinels: not with --redis or --redis-sentinels' };
    if (o.redis && o.redisSentinels) return { key: 'redisSentinels', message: 'give --redis or --redis-sentinels, not both' };
    return undefined;
  },
});

// The stack's own flags above replace the tiers' connection flags; the proxy's admin
// flags get a prefix because the autoscaler's admin port (the dashboard) is --admin-port.
export const proxyReuse: Reuse<typeof proxyTier.flags> = {
  label: 'proxy',
  omit: ['redis', 'redisSentinels', 'redisSentinelName', 'redisPassword', 'prefix', 'logLevel'],
  rename: { adminPort: 'proxyAdminPort', adminHost: 'proxyAdminHost', id: 'proxyId' },
};
/** With `--provider ec2` or `asg` the stack's embedded endpoint supplies these (supervisor.ts), so `shoal up` takes none of them (`--spot` it passes on). */
export const embeddedEc2Flags = [
  'fleet', 'region', 'ec2Endpoint', 'launchTemplate', 'launchTemplateVersion', 'imageId', 'instanceTypes', 'subnets',
  'securityGroups', 'instanceProfile', 'keyName', 'userDataFile', 'releaseUrl', 'redisUrlParameter', 'group', 'autoscalingEndpoint',
] as const;
export const autoscalerReuse: Reuse<typeof autoscalerTier.flags> = {
  label: 'autoscaler',
  // --data-dir is the stack's own.
  omit: ['redis', 'redisSentinels', 'redisSentinelName', 'redisPassword', 'prefix', 'dynamodb', 'tablePrefix', 'dataDir', ...embeddedEc2Flags],
  // A laptop-sized fleet that scales on request rate out of the box, at most one app server
  // per core: on one machine more add no capacity, only start-up and background work that
  // take the cores from the servers already serving (bench:laptop, docs/app.md).
  defaults: { max: String(Math.max(2, availableParallelism())), targetRps: '50' },
};

export function registerUp(program: Command): void {
  const cmd = program.command('up').description('run the whole stack on this machine: redis, dynamodb, proxy, autoscaler and app servers');
  addFlags(cmd, proxyTier, proxyReuse);
  addFlags(cmd, autoscalerTier, autoscalerReuse);
  addFlags(cmd, upTier);
  cmd.action(
    action(async () => {
      const own = parseFlags(cmd, upTier);
      const proxy = parseFlags(cmd, proxyTier, proxyReuse);
      const scaler = parseFlags(cmd, autoscalerTier, autoscalerReuse);
      if (own.prometheus) checkPrometheusInstalled();
      const log = createLogger('up', own.logLevel);
      const say = (line: string) => process.stdout.write(line + '\n');
      const sup = new Supervisor(
        {
          ...own,
          redis: own.redisSentinels ? fleetRedisUrl('', own) : own.redis,
          min: scaler.min,
          max: scaler.max,
          provider: scaler.provider,
          compatPort: proxy.compatPort,
          enableFaults: proxy.enableFaults,
          redisHa: own.redisHa ?? false,
          proxy: childFlags(cmd, proxyTier, proxyReuse),
          autoscaler: childFlags(cmd, autoscalerTier, autoscalerReuse),
        },
        log,
        say,
      );
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        say(`\n${signal}: stopping ${own.prometheus ? 'prometheus, ' : ''}autoscaler, proxy, app servers, ${scaler.provider !== 'local' ? 'ec2 endpoint, ' : ''}dynamodb, redis…`);
        void sup.stop().then(
          () => {
            say('stopped.');
            process.exit(0);
          },
          (err: unknown) => fail(err),
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGHUP', () => shutdown('SIGHUP'));
      try {
        await sup.start();
      } catch (err) {
        await sup.stop().catch(() => {});
        throw err;
      }
      // A child in a crash loop: say so at once, then stop everything and exit non-zero.
      const err = await sup.failed;
      if (stopping) return;
      stopping = true;
      process.stderr.write(`shoal: ${err.message} [${err.code}]\n`);
      await sup.stop().catch(() => {});
      say('stopped.');
      process.exit(1);
    }),
  );
}
