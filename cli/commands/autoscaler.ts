import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { engineConfig } from '../../autoscaler/engine/config.js';
import { parsePrices } from '../../autoscaler/engine/cost.js';
import { parseScheduledAction, validTimeZone } from '../../autoscaler/engine/schedule.js';
import { tablePrefix } from '../../app/config.js';
import { connectRedis, Fleet } from '../../fleet/index.js';
import { RedisHealth } from '../../fleet/health.js';
import { createLogger } from '../../lib/log.js';
import { addFlags, flag, parseFlags, tier } from '../flags.js';
import { duration, fleetRedisUrl, nonNegativeInt, port, positiveInt, positiveNumber, prefixFlag, redisFlag, sentinelFlags } from '../options.js';
import { addAdminTokenOption, resolveAdminToken } from '../admin-token.js';
import { action } from '../run.js';
import { stopOnSignals } from '../stop-on-signals.js';
import { buildProvider, checkProviderFlags, providerFlags } from './autoscaler-providers.js';

const percent = z.coerce.number({ message: 'expected a percentage' }).gt(0, { message: 'expected a percentage 1-100' }).max(100, { message: 'expected a percentage 1-100' });
const atLeast = (ms: number) => duration.refine((v) => v >= ms, { message: `expected at least ${ms}ms` });

/** `shoal autoscaler`'s flags; `shoal up` reuses them for its autoscaler. */
export const autoscalerTier = tier({
  name: 'autoscaler',
  flags: {
    min: flag({ arg: '<n>', help: 'fewest app servers', default: '1', schema: nonNegativeInt }),
    max: flag({ arg: '<n>', help: 'most app servers', default: '10', schema: positiveInt }),
    interval: flag({ arg: '<duration>', help: 'time between decisions', default: '5s', schema: atLeast(100) }),
    targetRps: flag({ arg: '<n>', help: 'requests/s per app server (off by default)', schema: positiveNumber.optional() }),
    targetMemory: flag({ arg: '<percent>', help: 'memory used % per host (off by default)', schema: percent.optional() }),
    targetInflight: flag({ arg: '<n>', help: 'requests in flight per app server (off by default)', schema: positiveNumber.optional() }),
    tolerance: flag({
      arg: '<fraction>',
      help: 'no change while within target × (1 ± tolerance)',
      default: '0.1',
      schema: z.coerce.number({ message: 'expected a fraction like 0.1' }).min(0, { message: 'expected a fraction 0-1' }).max(1, { message: 'expected a fraction 0-1' }),
    }),
    scaleDownWindow: flag({ arg: '<duration>', help: 'scale in only to the highest recommendation of this window', default: '60s', schema: duration }),
    warmup: flag({ arg: '<duration>', help: "a new server's metrics are left out this long [default: 2 intervals]", schema: duration.optional() }),
    bootTimeout: flag({ arg: '<duration>', help: 'a server still launching after this is a boot failure', default: '60s', schema: atLeast(1000) }),
    drainTimeout: flag({ arg: '<duration>', help: 'terminate a draining server after this even if requests remain', default: '30s', schema: duration }),
    adminPort: flag({ arg: '<port>', help: 'admin HTTP port: /metrics, /decisions, /healthz, dashboard (0 = any free port)', default: '8090', schema: port }),
    adminHost: flag({ arg: '<host>', help: 'admin HTTP bind address', default: '127.0.0.1', schema: z.string().min(1) }),
    dryRun: flag({ help: 'decide and record, but launch and terminate nothing', schema: z.boolean().optional() }),
    redis: redisFlag('Redis holding the fleet state', 'redis://127.0.0.1:6379'),
    ...sentinelFlags,
    prefix: prefixFlag,
    dynamodb: flag({
      arg: '<aws|URL>',
      help: "DynamoDB for the app servers it launches (the stack's endpoint)",
      env: 'DYNAMODB_ENDPOINT',
      schema: z.string().refine((v) => v === 'aws' || /^https?:\/\/[^/]+/.test(v), { message: 'expected aws or an http(s):// endpoint URL' }).optional(),
    }),
    tablePrefix: flag({ arg: '<prefix>', help: 'DynamoDB table name prefix for the app servers', env: 'SHOAL_TABLE_PREFIX', schema: tablePrefix.optional() }),
    schedule: flag({
      arg: '<"cron sizes">',
      help: 'scheduled action, repeatable: "0 9 * * 1-5 min=4" sets min (max, desired) at those times, as ASG scheduled actions do',
      repeatable: true,
      schema: z.array(z.string()).default([]).transform((list, ctx) => {
        try {
          return list.map(parseScheduledAction);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
    }),
    scheduleTz: flag({ arg: '<zone>', help: 'time zone of the --schedule times (IANA, e.g. Europe/Paris)', default: 'UTC', schema: z.string().refine(validTimeZone, { message: 'expected an IANA time zone like Europe/Paris or UTC' }) }),
    prices: flag({
      arg: '<list>',
      help: 'USD per instance-hour over the defaults (us-east-1 On-Demand, Spot at 30 %): t3.small=0.0208,t3.small:spot=0.007,local=0.01',
      default: '',
      schema: z.string().transform((v, ctx) => {
        try {
          return parsePrices(v);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
    }),
    ...providerFlags,
  },
  // `shoal up` omits the ec2 flags (its embedded endpoint supplies them), so their checks run only where they were taken.
  check: (o) => (o.min > o.max ? { key: 'min', message: 'must not exceed --max' } : 'subnets' in o ? checkProviderFlags(o) : undefined),
});

/** `shoal autoscaler`: launches and terminates app servers to follow demand; one leader at a time. */
export function registerAutoscaler(program: Command): void {
  const cmd = addAdminTokenOption(program.command('autoscaler'))
    .description('scale app servers to demand: read the fleet from Redis, decide, launch or drain and terminate, record why');
  addFlags(cmd, autoscalerTier);

  cmd.action(
    action(async () => {
      const parsed = parseFlags(cmd, autoscalerTier);
      // the one Redis URL every part of the autoscaler (and the app servers it launches) uses
      const o = { ...parsed, redis: fleetRedisUrl(parsed.redis, parsed) };
      const adminToken = resolveAdminToken(o.adminHost, '--admin-host (SHOAL_AUTOSCALER_ADMIN_HOST)', cmd.opts<{ adminTokenFile?: string }>().adminTokenFile);
      // Heavy modules load only when this command runs, so every other shoal process stays lean.
      const { AutoscalerMetrics } = await import('../../autoscaler/admin/metrics.js');
      const { startAdmin } = await import('../../autoscaler/admin/server.js');
      const { Daemon } = await import('../../autoscaler/daemon.js');
      const { CostMeter } = await import('../../autoscaler/cost-meter.js');
      const { Scheduler } = await import('../../autoscaler/scheduler.js');
      const { targetGroups } = await import('../../autoscaler/admin/sd.js');
      const { readSnapshot } = await import('../../fleet/snapshot.js');
      const { DashboardFeed } = await import('../../dashboard/feed.js');
      const { dashboardHandler } = await import('../../dashboard/handler.js');
      const { tracesHandler } = await import('../../dashboard/traces.js');
      const log = createLogger('autoscaler');
      // Set by `shoal up`: this process lives as long as that one (the app servers it starts watch that one too, not this one).
      const parent = Number(process.env.SHOAL_PARENT_PID);
      const id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 4)}`;
      const redis = connectRedis(o.redis, { name: `shoal-autoscaler:${id}` });
      const fleet = new Fleet(redis, o.prefix);
      const health = new RedisHealth(redis).start();
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
      const metrics = new AutoscalerMetrics(id, o.interval, () => health.up);
      const say = (line: string) => process.stdout.write(line + '\n');
      let adminUrl = '';
      let selfAddress = '';
      let started = false;
      const daemon = new Daemon({
        id,
        fleet,
        health,
        provider,
        engine,
        cost: new CostMeter(o.prices, launchAs(o)),
        ...(o.schedule.length ? { scheduler: new Scheduler(o.schedule, o.scheduleTz, { min: o.min, max: o.max }) } : {}),
        dryRun: o.dryRun ?? false,
        drainTimeoutMs: o.drainTimeout,
        log,
        metrics,
        adminAddress: () => selfAddress,
        onRole: (c) => {
          if (!started) return;
          say(c.role === 'leader' ? `shoal autoscaler ${id} leading (fencing token ${c.token})` : `shoal autoscaler ${id} standby${c.leader ? ` (leader ${c.leader})` : ''}`);
        },
      });
      // The dashboard at / reads the fleet itself, so a standby's page is as live as the leader's.
      const targets = async () => targetGroups(await readSnapshot(fleet, { decisions: 0 }), { id, address: selfAddress });
      const feed = new DashboardFeed(fleet, log);
      feed.start();
      const admin = await startAdmin(
        {
          metrics,
          decisions: (n) => daemon.decisions.newest(n),
          health: () => ({ ok: true, id, role: daemon.leadership.role, redis: daemon.redisUp ? 'up' : 'down' }),
          targets,
        },
        o.adminHost,
        o.adminPort,
        [dashboardHandler(feed), tracesHandler(targets, log)],
        adminToken,
      );
      adminUrl = admin.url;
      selfAddress = reachableAddress(admin.url);
      // Wait briefly for Redis so the first line says whether we lead; unreachable → standby, retrying.
      await Promise.race([once(redis, 'ready'), new Promise((r) => setTimeout(r, 3000).unref())]);
      await health.check();
      await daemon.start();
      const l = daemon.leadership;
      const role = l.role === 'leader' ? `leading (fencing token ${l.token})` : 'standby';

      const close = async () => {
        await daemon.stop();
        health.stop();
        feed.stop();
        await admin.close();
        await provider.close();
        redis.disconnect();
      };
      stopOnSignals(log, close, { message: 'stopping: releasing the lock; the app servers keep running for the next leader', parentPid: parent });
      // Handlers before the ready line: whoever waits for that line may signal at once.
      say(`shoal autoscaler ${id} ${role}${o.dryRun ? ' (dry run)' : ''}, ${provider.name} provider, min ${o.min}, max ${o.max}; admin at ${adminUrl}`);
      started = true;
    }),
  );
}

/** What a new server is billed as, when the flags say (the asg provider's template decides: then the fleet's average). */
function launchAs(o: { provider: string; instanceTypes: string[]; spot?: boolean }): { instanceType: string; market: 'spot' | 'on-demand' } | undefined {
  if (o.provider === 'local') return { instanceType: 'local', market: 'on-demand' };
  if (o.provider === 'ec2' && o.instanceTypes[0]) return { instanceType: o.instanceTypes[0], market: o.spot ? 'spot' : 'on-demand' };
  return undefined;
}

/** The admin URL's host:port as another machine reaches it: a wildcard bind is named by this host's name. */
function reachableAddress(url: string): string {
  const u = new URL(url);
  return ['0.0.0.0', '[::]'].includes(u.hostname) ? `${hostname()}:${u.port}` : u.host;
}
