import type { Command } from 'commander';
import { join } from 'node:path';
import { z } from 'zod';
import { advertiseAddress, appConfig, AUTH_MODES, COMPAT_AUTH_MODES, serverId, type AppConfig } from '../../app/config.js';
import { MEMORY } from '../../app/dynamodb/embedded.js';
import type { InstanceIdentity } from '../../app/instance-identity.js';
import { enableCompileCache } from '../../lib/compile-cache.js';
import { createLogger } from '../../lib/log.js';
import { PARSE_ONCE } from '../../lib/parse-once.js';
import { addFlags, flag, parseFlags, tier } from '../flags.js';
import { duration, enableFaultsFlag, fleetRedisUrl, nonNegativeInt, parseOptions, port, positiveInt, prefixFlag, redisFlag, sentinelFlags } from '../options.js';
import { action } from '../run.js';
import { stopOnSignals } from '../stop-on-signals.js';
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

const atLeast10ms = duration.refine((ms) => ms >= 10, { message: 'expected at least 10ms' });
const above0 = duration.refine((ms) => ms > 0, { message: 'expected a duration above 0' });

/** `shoal app`'s own flags (the DynamoDB ones are shared with `shoal tables` and `shoal seed`). */
export const appTier = tier({
  name: 'app',
  flags: {
    port: flag({ arg: '<n>', help: 'port to listen on (0 = a free port)', default: '3000', schema: port }),
    host: flag({ arg: '<host>', help: 'address to bind', default: '127.0.0.1', schema: z.string().min(1, { message: 'expected a host or IP address' }) }),
    advertise: flag({ arg: '<host:port>', help: 'address registered for proxies [default: the bound address]', schema: advertiseAddress.optional() }),
    redis: redisFlag('Redis holding the fleet state', 'redis://127.0.0.1:6379'),
    ...sentinelFlags,
    prefix: prefixFlag,
    // A launcher's contract with the app it starts (local provider, EC2 user data): one name everywhere.
    serverId: flag({ arg: '<id>', help: 'registry entry a launcher created (else the app makes its own)', env: 'SHOAL_SERVER_ID', schema: serverId.optional() }),
    provider: flag({ arg: '<name>', help: 'provider recorded when the app creates its own entry; ec2 or asg: identity and bind address from IMDSv2', default: 'manual', schema: z.string().min(1) }),
    createTables: flag({ help: 'create the tables on start (idempotent)', schema: z.boolean().optional() }),
    monitors: flag({ help: 'run without the request and memory monitors (for overhead benchmarks)', negate: true, schema: z.boolean() }),
    monitorInterval: flag({ arg: '<duration>', help: 'how often the monitors write Redis', default: '1s', schema: atLeast10ms }),
    heartbeatInterval: flag({ arg: '<duration>', help: 'how often the registry entry is refreshed', default: '2s', schema: atLeast10ms }),
    spotPoll: flag({ arg: '<duration>', help: 'provider ec2 or asg: how often IMDS is polled for a Spot interruption notice (then the app drains itself; 0 = never)', default: '2s', schema: duration }),
    drainTimeout: flag({ arg: '<duration>', help: 'on SIGTERM, how long in-flight requests may take to finish', default: '30s', schema: duration }),
    bodyLimit: flag({ arg: '<size>', help: 'largest accepted request body', default: '64kb', schema: byteSize }),
    headerTimeout: flag({ arg: '<duration>', help: 'a client must send its request headers within this (else 408 and close)', default: '10s', schema: above0 }),
    requestTimeout: flag({ arg: '<duration>', help: 'a client must send its whole request within this (else 408 and close)', default: '30s', schema: above0 }),
    maxConnections: flag({ arg: '<n>', help: 'open client connections at most (raise ulimit -n to match)', default: '1024', schema: positiveInt }),
    idempotencyLease: flag({
      arg: '<duration>',
      help: 'how long a claimed Idempotency-Key answers a repeat with 409 before a retry may take it over',
      default: '10s',
      schema: duration.refine((ms) => ms >= 100, { message: 'expected at least 100ms' }),
    }),
    auth: flag({ arg: '<mode>', help: 'bearer tokens for the API: off, writes (reads stay open) or all', default: 'writes', schema: z.enum(AUTH_MODES, { message: 'expected off, writes or all' }) }),
    compatAuth: flag({ arg: '<mode>', help: 'course API: any Authorization value (any) or a token from its /login (strict)', default: 'any', schema: z.enum(COMPAT_AUTH_MODES, { message: 'expected any or strict' }) }),
    tokenTtl: flag({ arg: '<duration>', help: 'how long a login token lasts', default: '15m', schema: duration.refine((ms) => ms >= 1000 && ms <= 24 * 3600_000, { message: 'expected 1s to 24h' }) }),
    enableFaults: enableFaultsFlag,
    loginLimit: flag({ arg: '<n>', help: 'failed logins per account per 15 minutes before a 429 (per address: 10×)', default: '5', schema: positiveInt }),
    // On by default: an operator reads "ready" as ready, and a cold server costs twice the CPU per request for its first ~1,000 (docs/app.md).
    warmUp: flag({
      arg: '<n>',
      help: 'read-only requests the server sends itself over loopback before it reports ready, so its first real ones run on warm code (0 = none)',
      default: '1000',
      schema: nonNegativeInt.max(100_000, { message: 'expected a whole number 0-100000' }),
    }),
    warmUpTime: flag({
      arg: '<duration>',
      help: 'the warm-up ends after this even if requests are left (the autoscaler\'s --boot-timeout counts it)',
      default: '10s',
      schema: duration.refine((ms) => ms >= 1 && ms <= 300_000, { message: 'expected 1ms to 5m' }),
    }),
  },
  check: (o) => (o.headerTimeout > o.requestTimeout ? { key: 'headerTimeout', message: 'must not exceed --request-timeout' } : undefined),
});

/** `shoal app`: one app server — the music API, both monitors, a registry entry. */
export function registerApp(program: Command): void {
  const cmd = program
    .command('app')
    .description('run one app server: the music API on DynamoDB, registered in Redis, with request and memory monitors');
  addFlags(cmd, appTier);
  addDynamoOptions(cmd);

  cmd.action(
    action(async () => {
      const o = { ...parseFlags(cmd, appTier), ...parseOptions(cmd, z.object(dynamoFields)) };
      const dynamo = dynamoSettings(o);
      const log = createLogger('app');
      // On EC2 the instance says who it is: the server id, instance id and bind address
      // (its private IP) come from IMDSv2 unless given.
      let identity: InstanceIdentity | undefined;
      if (o.provider === 'ec2' || o.provider === 'asg') {
        const { readInstanceIdentity } = await import('../../app/instance-identity.js');
        identity = await readInstanceIdentity();
        log.info(identity, 'instance identity from IMDS');
      }
      const hostGiven = cmd.getOptionValueSource('host') !== 'default';
      const config: AppConfig = appConfig.parse({
        port: o.port,
        host: identity && !hostGiven ? identity.privateIp : o.host,
        advertise: o.advertise,
        redisUrl: fleetRedisUrl(o.redis, o),
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
        spotPollMs: identity ? o.spotPoll : 0,
        bodyLimitBytes: o.bodyLimit,
        headerTimeoutMs: o.headerTimeout,
        requestTimeoutMs: o.requestTimeout,
        maxConnections: o.maxConnections,
        idempotencyLeaseMs: o.idempotencyLease,
        auth: o.auth,
        enableFaults: o.enableFaults,
        compatAuth: o.compatAuth,
        tokenTtlMs: o.tokenTtl,
        loginLimits: { perAccount: o.loginLimit, perAddress: o.loginLimit * 10, windowMs: 15 * 60_000 },
        warmUp: { requests: o.warmUp, timeMs: o.warmUpTime },
      } satisfies z.input<typeof appConfig>, PARSE_ONCE);
      const parentPid = Number(process.env.SHOAL_PARENT_PID);

      // Loaded after the flags are checked: a config error exits before Koa and the AWS SDK load;
      // and compiled from the data dir's code cache where Node has one.
      if (dynamo.dataDir !== MEMORY) enableCompileCache(join(dynamo.dataDir, 'compile-cache'));
      const { startApp } = await import('../../app/server.js');
      const { startTracing } = await import('../../lib/tracing/setup.js');
      const otlpEndpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
      // OTEL_SDK_DISABLED=true (OpenTelemetry's own switch) turns tracing off
      const traced = process.env.OTEL_SDK_DISABLED !== 'true';
      const app = await startApp(config, { log, ...(traced ? { tracing: (server: string) => startTracing({ service: 'app', server, otlpEndpoint }) } : {}) });
      // Handlers before the ready line: whoever waits for that line may signal at once.
      // A second Ctrl-C means "now": skip the rest of the drain.
      stopOnSignals(log, () => app.close(), { message: 'shutting down', parentPid, secondSigintExits: true });
      process.stdout.write(`shoal app ${app.id} ready at ${app.url}\n`);
    }),
  );
}
