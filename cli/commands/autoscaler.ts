import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { engineConfig } from '../../autoscaler/engine/config.js';
import { connectRedis, DEFAULT_PREFIX, Fleet } from '../../fleet/index.js';
import { createLogger } from '../../lib/log.js';
import { watchParent } from '../../lib/parent-watch.js';
import { duration, nonNegativeInt, opt, parseOptions, port, positiveInt, positiveNumber, redisUrl } from '../options.js';
import { action } from '../run.js';
import { addProviderOptions, buildProvider, checkProviderFlags, providerFields } from './autoscaler-providers.js';

const percent = z.coerce.number({ message: 'expected a percentage' }).gt(0, { message: 'expected a percentage 1-100' }).max(100, { message: 'expected a percentage 1-100' });
const atLeast = (ms: number) => duration.refine((v) => v >= ms, { message: `expected at least ${ms}ms` });

const Schema = z
  .object({
    min: nonNegativeInt,
    max: positiveInt,
    interval: atLeast(100),
    targetRps: positiveNumber.optional(),
    targetMemory: percent.optional(),
    targetInflight: positiveNumber.optional(),
    tolerance: z.coerce.number({ message: 'expected a fraction like 0.1' }).min(0, { message: 'expected a fraction 0-1' }).max(1, { message: 'expected a fraction 0-1' }),
    scaleDownWindow: duration,
    warmup: duration.optional(),
    bootTimeout: atLeast(1000),
    drainTimeout: duration,
    adminPort: port,
    adminHost: z.string().min(1),
    dryRun: z.boolean().optional(),
    redis: redisUrl,
    prefix: z.string().min(1, { message: 'expected a non-empty key prefix' }),
    dynamodb: z.string().refine((v) => v === 'aws' || /^https?:\/\/[^/]+/.test(v), { message: 'expected aws or an http(s):// endpoint URL' }).optional(),
    tablePrefix: z.string().regex(/^[A-Za-z0-9_.-]*$/, { message: 'letters, digits, _ . - only' }).optional(),
    ...providerFields,
  })
  .refine((o) => o.min <= o.max, { message: 'must not exceed --max', path: ['min'] });

/** `shoal autoscaler`: launches and terminates app servers to follow demand; one leader at a time. */
export function registerAutoscaler(program: Command): void {
  const cmd = program
    .command('autoscaler')
    .description('scale app servers to demand: read the fleet from Redis, decide, launch or drain and terminate, record why')
    .addOption(opt('--min <n>', 'fewest app servers', 'SHOAL_MIN').default('1'))
    .addOption(opt('--max <n>', 'most app servers', 'SHOAL_MAX').default('10'))
    .addOption(opt('--interval <duration>', 'time between decisions', 'SHOAL_INTERVAL').default('5s'))
    .addOption(opt('--target-rps <n>', 'requests/s per app server', 'SHOAL_TARGET_RPS'))
    .addOption(opt('--target-memory <percent>', 'memory used % per host (off by default)', 'SHOAL_TARGET_MEMORY'))
    .addOption(opt('--target-inflight <n>', 'requests in flight per app server (off by default)', 'SHOAL_TARGET_INFLIGHT'))
    .addOption(opt('--tolerance <fraction>', 'no change while within target × (1 ± tolerance)', 'SHOAL_TOLERANCE').default('0.1'))
    .addOption(opt('--scale-down-window <duration>', 'scale in only to the highest recommendation of this window', 'SHOAL_SCALE_DOWN_WINDOW').default('60s'))
    .addOption(opt('--warmup <duration>', "a new server's metrics are left out this long [default: 2 intervals]", 'SHOAL_WARMUP'))
    .addOption(opt('--boot-timeout <duration>', 'a server still launching after this is a boot failure', 'SHOAL_BOOT_TIMEOUT').default('60s'))
    .addOption(opt('--drain-timeout <duration>', 'terminate a draining server after this even if requests remain', 'SHOAL_DRAIN_TIMEOUT').default('30s'))
    .addOption(opt('--admin-port <port>', 'admin HTTP port: /metrics, /decisions, /healthz, dashboard (0 = any free port)', 'SHOAL_ADMIN_PORT').default('8090'))
    .addOption(opt('--admin-host <host>', 'admin HTTP bind address', 'SHOAL_ADMIN_HOST').default('127.0.0.1'))
    .option('--dry-run', 'decide and record, but launch and terminate nothing')
    .addOption(opt('--redis <url>', 'Redis holding the fleet state', 'REDIS_URL').default('redis://127.0.0.1:6379'))
    .addOption(opt('--prefix <prefix>', 'Redis key prefix', 'SHOAL_PREFIX').default(DEFAULT_PREFIX))
    .addOption(opt('--dynamodb <aws|URL>', "DynamoDB for the app servers it launches (the stack's endpoint)", 'DYNAMODB_ENDPOINT'))
    .addOption(opt('--table-prefix <prefix>', 'DynamoDB table name prefix for the app servers', 'SHOAL_TABLE_PREFIX'));
  addProviderOptions(cmd);

  cmd.action(
    action(async () => {
      const o = parseOptions(cmd, Schema);
      checkProviderFlags(o);
      // Heavy modules load only when this command runs, so every other shoal process stays lean.
      const { AutoscalerMetrics } = await import('../../autoscaler/admin/metrics.js');
      const { startAdmin } = await import('../../autoscaler/admin/server.js');
      const { Daemon } = await import('../../autoscaler/daemon.js');
      const { DashboardFeed } = await import('../../dashboard/feed.js');
      const { dashboardHandler } = await import('../../dashboard/handler.js');
      const log = createLogger('autoscaler');
      const id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 4)}`;
      const redis = connectRedis(o.redis, { name: `shoal-autoscaler:${id}` });
      const fleet = new Fleet(redis, o.prefix);
      const engine = engineConfig({
        min: o.min,
        max: o.max,
        intervalMs: o.interval,
        targetRps: o.targetRps ?? 0,
        targetMemory: o.targetMemory ?? 0,
        targetInflight: o.targetInflight ?? 0,
        tolerance: o.tolerance,
        scaleDownWindowMs: o.scaleDownWindow,
        bootTimeoutMs: o.bootTimeout,
        ...(o.warmup !== undefined ? { warmupMs: o.warmup } : {}),
      });
      const provider = await buildProvider(o, fleet, log);
      const metrics = new AutoscalerMetrics();
      const say = (line: string) => process.stdout.write(line + '\n');
      let adminUrl = '';
      let started = false;
      const daemon = new Daemon({
        id,
        fleet,
        provider,
        engine,
        dryRun: o.dryRun ?? false,
        drainTimeoutMs: o.drainTimeout,
        log,
        metrics,
        onRole: (c) => {
          if (!started) return;
          say(c.role === 'leader' ? `shoal autoscaler ${id} leading (fencing token ${c.token})` : `shoal autoscaler ${id} standby${c.leader ? ` (leader ${c.leader})` : ''}`);
        },
      });
      // The dashboard at / reads the fleet itself, so a standby's page is as live as the leader's.
      const feed = new DashboardFeed(fleet, log);
      feed.start();
      const admin = await startAdmin(
        {
          metrics,
          decisions: (n) => daemon.decisions.newest(n),
          health: () => ({ ok: true, id, role: daemon.leadership.role, redis: daemon.redisUp ? 'up' : 'down' }),
        },
        o.adminHost,
        o.adminPort,
        [dashboardHandler(feed)],
      );
      adminUrl = admin.url;
      // Wait briefly for Redis so the first line says whether we lead; unreachable → standby, retrying.
      await Promise.race([once(redis, 'ready'), new Promise((r) => setTimeout(r, 3000).unref())]);
      await daemon.start();
      const l = daemon.leadership;
      const role = l.role === 'leader' ? `leading (fencing token ${l.token})` : 'standby';
      say(`shoal autoscaler ${id} ${role}${o.dryRun ? ' (dry run)' : ''}, ${provider.name} provider, min ${o.min}, max ${o.max}; admin at ${adminUrl}`);
      started = true;

      let stopping = false;
      const stop = (why: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ why }, 'stopping: releasing the lock; the app servers keep running for the next leader');
        void (async () => {
          await daemon.stop();
          feed.stop();
          await admin.close();
          await provider.close();
          redis.disconnect();
          process.exit(0);
        })();
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      const parent = Number(process.env.SHOAL_PARENT_PID);
      if (parent > 0) watchParent(parent, () => stop('parent exited'), 1000);
    }),
  );
}
