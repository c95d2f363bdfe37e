import type { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_PREFIX } from '../../fleet/index.js';
import { createLogger } from '../../lib/log.js';
import { DEFAULT_HEALTH, DEFAULT_LIMITS, DEFAULT_TIMEOUTS, type ProxyConfig } from '../../proxy/config.js';
import { readKeyPair } from '../../proxy/tls.js';
import { duration, logLevel, nonNegativeInt, opt, parseOptions, port, positiveInt, redisUrl } from '../options.js';
import { addAdminTokenOption, resolveAdminToken } from '../admin-token.js';
import { action } from '../run.js';

const percent = z.coerce.number({ message: 'expected a percentage' }).min(0, { message: 'expected 0-100' }).max(100, { message: 'expected 0-100' });

const schema = z
  .object({
    port,
    host: z.string().min(1),
    adminPort: port,
    adminHost: z.string().min(1),
    redis: redisUrl,
    prefix: z.string().min(1),
    balancer: z.enum(['p2c', 'round-robin'], { message: 'expected p2c or round-robin' }),
    workers: positiveInt.max(64, { message: 'expected 1-64 workers' }),
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    redirectHttp: port.optional(),
    compatPort: port.optional(),
    slowStart: duration,
    connectTimeout: duration,
    headerTimeout: duration,
    requestTimeout: duration,
    idleTimeout: duration,
    responseTimeout: duration,
    upstreamIdleTimeout: duration.refine((ms) => ms > 0 && ms < 65_000, { message: "expected > 0 and below the app's 65s keep-alive" }),
    shutdownTimeout: duration,
    maxConnections: positiveInt,
    upstreamConnections: positiveInt,
    queue: nonNegativeInt,
    retryBudget: percent,
    maxAttempts: positiveInt.max(10, { message: 'expected 1-10' }),
    healthInterval: duration,
    healthTimeout: duration,
    healthRise: positiveInt,
    healthFall: positiveInt,
    ejectAfter: positiveInt,
    maxEjection: percent,
    resyncInterval: duration.refine((ms) => ms >= 100, { message: 'expected at least 100ms' }),
    proxyId: z.string().min(1).optional(),
    adminTokenFile: z.string().min(1).optional(),
    logLevel,
  })
  .superRefine((o, ctx) => {
    if (!!o.tlsCert !== !!o.tlsKey) ctx.addIssue({ code: 'custom', path: [o.tlsCert ? 'tlsKey' : 'tlsCert'], message: '--tls-cert and --tls-key go together' });
    if (o.redirectHttp !== undefined && !o.tlsCert) ctx.addIssue({ code: 'custom', path: ['redirectHttp'], message: 'needs --tls-cert and --tls-key' });
    for (const k of ['headerTimeout', 'requestTimeout', 'connectTimeout', 'responseTimeout', 'idleTimeout'] as const) {
      if (o[k] <= 0) ctx.addIssue({ code: 'custom', path: [k], message: 'expected a duration above 0' });
    }
  });

type Parsed = z.infer<typeof schema>;

function toConfig(o: Parsed, adminToken: string | undefined): ProxyConfig {
  return {
    adminToken,
    port: o.port,
    host: o.host,
    adminPort: o.adminPort,
    adminHost: o.adminHost,
    redisUrl: o.redis,
    prefix: o.prefix,
    balancer: o.balancer,
    workers: o.workers,
    tls: o.tlsCert && o.tlsKey ? { certFile: o.tlsCert, keyFile: o.tlsKey } : undefined,
    redirectHttpPort: o.redirectHttp,
    compatPort: o.compatPort,
    slowStartMs: o.slowStart,
    timeouts: {
      connectMs: o.connectTimeout,
      headerMs: o.headerTimeout,
      requestMs: o.requestTimeout,
      idleMs: o.idleTimeout,
      responseMs: o.responseTimeout,
      upstreamIdleMs: o.upstreamIdleTimeout,
      shutdownMs: o.shutdownTimeout,
    },
    limits: {
      ...DEFAULT_LIMITS,
      maxClientConnections: o.maxConnections,
      upstreamConnections: o.upstreamConnections,
      queuePerServer: o.queue,
      maxAttempts: o.maxAttempts,
      retryRatio: o.retryBudget / 100,
    },
    health: {
      ...DEFAULT_HEALTH,
      intervalMs: o.healthInterval,
      timeoutMs: o.healthTimeout,
      rise: o.healthRise,
      fall: o.healthFall,
      ejectAfter: o.ejectAfter,
      maxEjectPercent: o.maxEjection,
    },
    resyncMs: o.resyncInterval,
    missingGraceMs: Math.max(10_000, 2 * o.resyncInterval),
    reportMs: 1000,
    proxyId: o.proxyId,
  };
}

const s = (ms: number) => `${ms / 1000}s`;

export function registerProxy(program: Command): void {
  addAdminTokenOption(program.command('proxy'))
    .description('load balancer over the live pool of app servers in Redis')
    .addOption(opt('--port <port>', 'port to accept clients on (0 = any free port)', 'SHOAL_PROXY_PORT').default('8080'))
    .addOption(opt('--host <host>', 'address to bind (0.0.0.0 to accept from other machines)', 'SHOAL_PROXY_HOST').default('127.0.0.1'))
    .addOption(opt('--admin-port <port>', 'port for /metrics and /pool', 'SHOAL_PROXY_ADMIN_PORT').default('8091'))
    .addOption(opt('--admin-host <host>', 'address the admin port binds', 'SHOAL_PROXY_ADMIN_HOST').default('127.0.0.1'))
    .addOption(opt('--redis <url>', 'Redis holding the fleet registry', 'REDIS_URL').default('redis://127.0.0.1:6379'))
    .addOption(opt('--prefix <prefix>', 'Redis key prefix', 'SHOAL_PREFIX').default(DEFAULT_PREFIX))
    .addOption(opt('--balancer <kind>', 'p2c (power of two choices, least outstanding) or round-robin', 'SHOAL_PROXY_BALANCER').default('p2c'))
    .addOption(opt('--workers <n>', 'processes accepting on the one port', 'SHOAL_PROXY_WORKERS').default('1'))
    .addOption(opt('--tls-cert <file>', 'PEM certificate: serve HTTPS (reloaded on SIGHUP)', 'SHOAL_TLS_CERT'))
    .addOption(opt('--tls-key <file>', 'PEM private key for --tls-cert', 'SHOAL_TLS_KEY'))
    .addOption(opt('--compat-port <port>', "also serve the course system's API (/api/v1/user/, /music/, /playlist/) on this port", 'SHOAL_COMPAT_PORT'))
    .addOption(opt('--redirect-http <port>', 'also answer plain HTTP on this port with a redirect to HTTPS', 'SHOAL_REDIRECT_HTTP'))
    .addOption(opt('--slow-start <duration>', "ramp a new server's share up over this window (0 = off)", 'SHOAL_PROXY_SLOW_START').default('10s'))
    .addOption(opt('--connect-timeout <duration>', 'connecting to an app server', 'SHOAL_PROXY_CONNECT_TIMEOUT').default(s(DEFAULT_TIMEOUTS.connectMs)))
    .addOption(opt('--header-timeout <duration>', 'a client must send its request headers within this', 'SHOAL_PROXY_HEADER_TIMEOUT').default(s(DEFAULT_TIMEOUTS.headerMs)))
    .addOption(opt('--request-timeout <duration>', 'a client must send its whole request within this', 'SHOAL_PROXY_REQUEST_TIMEOUT').default(s(DEFAULT_TIMEOUTS.requestMs)))
    .addOption(opt('--idle-timeout <duration>', 'idle client connections (keep-alive, stalled reads) are closed after this', 'SHOAL_PROXY_IDLE_TIMEOUT').default(s(DEFAULT_TIMEOUTS.idleMs)))
    .addOption(opt('--response-timeout <duration>', 'an app server must start answering within this', 'SHOAL_PROXY_RESPONSE_TIMEOUT').default(s(DEFAULT_TIMEOUTS.responseMs)))
    .addOption(opt('--upstream-idle-timeout <duration>', "idle keep-alive sockets to app servers close after this (below the app's 65s)", 'SHOAL_PROXY_UPSTREAM_IDLE_TIMEOUT').default(s(DEFAULT_TIMEOUTS.upstreamIdleMs)))
    .addOption(opt('--shutdown-timeout <duration>', 'on SIGTERM, how long in-flight requests get', 'SHOAL_PROXY_SHUTDOWN_TIMEOUT').default(s(DEFAULT_TIMEOUTS.shutdownMs)))
    .addOption(opt('--max-connections <n>', 'client connections per process (raise ulimit -n to match)', 'SHOAL_PROXY_MAX_CONNECTIONS').default(String(DEFAULT_LIMITS.maxClientConnections)))
    .addOption(opt('--upstream-connections <n>', 'keep-alive connections per app server', 'SHOAL_PROXY_UPSTREAM_CONNECTIONS').default(String(DEFAULT_LIMITS.upstreamConnections)))
    .addOption(opt('--queue <n>', 'requests that may wait per app server before it counts as full', 'SHOAL_PROXY_QUEUE').default(String(DEFAULT_LIMITS.queuePerServer)))
    .addOption(opt('--retry-budget <percent>', 'retries as a percent of requests', 'SHOAL_PROXY_RETRY_BUDGET').default(String(DEFAULT_LIMITS.retryRatio * 100)))
    .addOption(opt('--max-attempts <n>', 'attempts per request, the first included', 'SHOAL_PROXY_MAX_ATTEMPTS').default(String(DEFAULT_LIMITS.maxAttempts)))
    .addOption(opt('--health-interval <duration>', 'active /readyz check period (0 = off)', 'SHOAL_PROXY_HEALTH_INTERVAL').default(s(DEFAULT_HEALTH.intervalMs)))
    .addOption(opt('--health-timeout <duration>', 'active check timeout', 'SHOAL_PROXY_HEALTH_TIMEOUT').default(s(DEFAULT_HEALTH.timeoutMs)))
    .addOption(opt('--health-rise <n>', 'passing checks in a row to count a server up', 'SHOAL_PROXY_HEALTH_RISE').default(String(DEFAULT_HEALTH.rise)))
    .addOption(opt('--health-fall <n>', 'failing checks in a row to count a server down', 'SHOAL_PROXY_HEALTH_FALL').default(String(DEFAULT_HEALTH.fall)))
    .addOption(opt('--eject-after <n>', 'consecutive connect errors or 5xx that eject a server', 'SHOAL_PROXY_EJECT_AFTER').default(String(DEFAULT_HEALTH.ejectAfter)))
    .addOption(opt('--max-ejection <percent>', 'most of the pool that may be ejected at once', 'SHOAL_PROXY_MAX_EJECTION').default(String(DEFAULT_HEALTH.maxEjectPercent)))
    .addOption(opt('--resync-interval <duration>', 'full registry read period, behind pub/sub', 'SHOAL_PROXY_RESYNC_INTERVAL').default('5s'))
    .addOption(opt('--proxy-id <id>', "this proxy's fleet id (default host:port)", 'SHOAL_PROXY_ID'))
    .addOption(opt('--log-level <level>', 'pino level for stderr logs', 'SHOAL_LOG_LEVEL').default('info'))
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const parsed = parseOptions(cmd, schema);
        const cfg = toConfig(parsed, resolveAdminToken(parsed.adminHost, '--admin-host (SHOAL_PROXY_ADMIN_HOST)', parsed.adminTokenFile));
        if (cfg.tls) readKeyPair(cfg.tls); // an unreadable cert or key fails here, before anything starts
        const log = createLogger('proxy', parsed.logLevel);
        // The proxy's modules load only when this command runs: every shoal process stays lean.
        const { isWorker, runPrimary, runWorker } = await import('../../proxy/cluster.js');
        const { startProxy } = await import('../../proxy/start.js');
        if (isWorker()) {
          await runWorker(cfg, log, Number(process.env.SHOAL_PROXY_WORKER ?? 1), process.env.SHOAL_PROXY_ADMIN_ADDRESS ?? '');
          return;
        }
        const running = cfg.workers > 1 ? await runPrimary(cfg, log) : await startProxy(cfg, log);
        process.stdout.write(`shoal proxy ready at ${running.url} (admin http://${running.adminAddress})${running.compatUrl ? ` (compat ${running.compatUrl})` : ''}\n`);
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, 'shutting down: finishing in-flight requests');
          void running.close().then(() => process.exit(0));
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
      }),
    );
}
