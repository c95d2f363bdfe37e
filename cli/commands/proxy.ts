import type { Command } from 'commander';
import { z } from 'zod';
import { DATA_PLANES } from '../../fleet/proxies.js';
import { createLogger } from '../../lib/log.js';
import { DEFAULT_HEALTH, DEFAULT_LIMITS, DEFAULT_TIMEOUTS, type ProxyConfig } from '../../proxy/config.js';
import { findBinary } from '../../proxy/haproxy/binary.js';
import { readKeyPair } from '../../proxy/tls.js';
import { addFlags, flag, parseFlags, tier, type Values } from '../flags.js';
import { duration, enableFaultsFlag, fleetRedisUrl, logLevelFlag, nonNegativeInt, port, positiveInt, prefixFlag, redisFlag, sentinelFlags } from '../options.js';
import { addAdminTokenOption, resolveAdminToken } from '../admin-token.js';
import { action } from '../run.js';
import { stopOnSignals } from '../stop-on-signals.js';

const percent = z.coerce.number({ message: 'expected a percentage' }).min(0, { message: 'expected 0-100' }).max(100, { message: 'expected 0-100' });
const s = (ms: number) => `${ms / 1000}s`;
const above0 = duration.refine((ms) => ms > 0, { message: 'expected a duration above 0' });

/** `shoal proxy`'s flags; `shoal up` reuses them for its proxy. */
export const proxyTier = tier({
  name: 'proxy',
  flags: {
    port: flag({ arg: '<port>', help: 'port to accept clients on (0 = any free port)', default: '8080', schema: port }),
    host: flag({ arg: '<host>', help: 'address to bind (0.0.0.0 to accept from other machines)', default: '127.0.0.1', schema: z.string().min(1) }),
    adminPort: flag({ arg: '<port>', help: 'port for /metrics and /pool', default: '8091', schema: port }),
    adminHost: flag({ arg: '<host>', help: 'address the admin port binds', default: '127.0.0.1', schema: z.string().min(1) }),
    redis: redisFlag('Redis holding the fleet registry', 'redis://127.0.0.1:6379'),
    ...sentinelFlags,
    prefix: prefixFlag,
    balancer: flag({ arg: '<kind>', help: 'p2c (power of two choices, least outstanding) or round-robin', default: 'p2c', schema: z.enum(['p2c', 'round-robin'], { message: 'expected p2c or round-robin' }) }),
    workers: flag({ arg: '<n>', help: 'processes accepting on the one port (haproxy: its threads)', default: '1', schema: positiveInt.max(64, { message: 'expected 1-64 workers' }) }),
    dataPlane: flag({ arg: '<node|haproxy>', help: "what moves the bytes: shoal's Node proxy, or HAProxy driven through its Runtime API", default: 'node', schema: z.enum(DATA_PLANES, { message: 'expected node or haproxy' }) }),
    haproxyBin: flag({ arg: '<path>', help: 'with --data-plane haproxy: the haproxy binary to run', default: 'haproxy', schema: z.string().min(1) }),
    haproxySocket: flag({ arg: '<path>', help: 'with --data-plane haproxy: attach to a running HAProxy through this Runtime API socket instead of running one', schema: z.string().min(1).optional() }),
    tlsCert: flag({ arg: '<file>', help: 'PEM certificate: serve HTTPS (reloaded on SIGHUP)', schema: z.string().min(1).optional() }),
    tlsKey: flag({ arg: '<file>', help: 'PEM private key for --tls-cert', schema: z.string().min(1).optional() }),
    redirectHttp: flag({ arg: '<port>', help: 'also answer plain HTTP on this port with a redirect to HTTPS', schema: port.optional() }),
    compatPort: flag({ arg: '<port>', help: "also serve the course system's API (/api/v1/user/, /music/, /playlist/) on this port", schema: port.optional() }),
    slowStart: flag({ arg: '<duration>', help: "ramp a new server's share up over this window (0 = off)", default: '10s', schema: duration }),
    connectTimeout: flag({ arg: '<duration>', help: 'connecting to an app server', default: s(DEFAULT_TIMEOUTS.connectMs), schema: above0 }),
    headerTimeout: flag({ arg: '<duration>', help: 'a client must send its request headers within this', default: s(DEFAULT_TIMEOUTS.headerMs), schema: above0 }),
    requestTimeout: flag({ arg: '<duration>', help: 'a client must send its whole request within this', default: s(DEFAULT_TIMEOUTS.requestMs), schema: above0 }),
    idleTimeout: flag({ arg: '<duration>', help: 'idle client connections (keep-alive, stalled reads) are closed after this', default: s(DEFAULT_TIMEOUTS.idleMs), schema: above0 }),
    responseTimeout: flag({ arg: '<duration>', help: 'an app server must start answering within this', default: s(DEFAULT_TIMEOUTS.responseMs), schema: above0 }),
    upstreamIdleTimeout: flag({
      arg: '<duration>',
      help: "idle keep-alive sockets to app servers close after this (below the app's 65s)",
      default: s(DEFAULT_TIMEOUTS.upstreamIdleMs),
      schema: duration.refine((ms) => ms > 0 && ms < 65_000, { message: "expected > 0 and below the app's 65s keep-alive" }),
    }),
    shutdownTimeout: flag({ arg: '<duration>', help: 'on SIGTERM, how long in-flight requests get', default: s(DEFAULT_TIMEOUTS.shutdownMs), schema: duration }),
    maxConnections: flag({ arg: '<n>', help: 'client connections per process (raise ulimit -n to match)', default: String(DEFAULT_LIMITS.maxClientConnections), schema: positiveInt }),
    upstreamConnections: flag({ arg: '<n>', help: 'keep-alive connections per app server', default: String(DEFAULT_LIMITS.upstreamConnections), schema: positiveInt }),
    queue: flag({ arg: '<n>', help: 'requests that may wait per app server before it counts as full', default: String(DEFAULT_LIMITS.queuePerServer), schema: nonNegativeInt }),
    retryBudget: flag({ arg: '<percent>', help: 'retries as a percent of requests', default: String(DEFAULT_LIMITS.retryRatio * 100), schema: percent }),
    maxAttempts: flag({ arg: '<n>', help: 'attempts per request, the first included', default: String(DEFAULT_LIMITS.maxAttempts), schema: positiveInt.max(10, { message: 'expected 1-10' }) }),
    retrySent: flag({
      arg: '<on|off>',
      help: 'resend an idempotent or keyed request whose connection broke or timed out after it was sent (off: only what never reached a server; with haproxy, off saves its L7 retries\' copy of every request)',
      default: 'on',
      schema: z.enum(['on', 'off'], { message: 'expected on or off' }),
    }),
    healthInterval: flag({ arg: '<duration>', help: 'active /readyz check period (0 = off)', default: s(DEFAULT_HEALTH.intervalMs), schema: duration }),
    healthTimeout: flag({ arg: '<duration>', help: 'active check timeout', default: s(DEFAULT_HEALTH.timeoutMs), schema: duration }),
    healthRise: flag({ arg: '<n>', help: 'passing checks in a row to count a server up', default: String(DEFAULT_HEALTH.rise), schema: positiveInt }),
    healthFall: flag({ arg: '<n>', help: 'failing checks in a row to count a server down', default: String(DEFAULT_HEALTH.fall), schema: positiveInt }),
    ejectAfter: flag({ arg: '<n>', help: 'consecutive connect errors or 5xx that eject a server', default: String(DEFAULT_HEALTH.ejectAfter), schema: positiveInt }),
    maxEjection: flag({ arg: '<percent>', help: 'most of the pool that may be ejected at once', default: String(DEFAULT_HEALTH.maxEjectPercent), schema: percent }),
    resyncInterval: flag({ arg: '<duration>', help: 'full registry read period, behind pub/sub', default: '5s', schema: duration.refine((ms) => ms >= 100, { message: 'expected at least 100ms' }) }),
    id: flag({ arg: '<id>', help: "this proxy's fleet id (default host:port)", schema: z.string().min(1).optional() }),
    enableFaults: enableFaultsFlag,
    exposeInternal: flag({ help: "also forward the app servers' /metrics, /healthz and /readyz (by default the public port answers 404 for them)", schema: z.boolean().optional() }),
    logLevel: logLevelFlag,
  },
  check: (o) => {
    if (!!o.tlsCert !== !!o.tlsKey) return { key: o.tlsCert ? 'tlsKey' : 'tlsCert', message: '--tls-cert and --tls-key go together' };
    if (o.redirectHttp !== undefined && !o.tlsCert) return { key: 'redirectHttp', message: 'needs --tls-cert and --tls-key' };
    if (o.haproxySocket && o.dataPlane !== 'haproxy') return { key: 'haproxySocket', message: 'needs --data-plane haproxy' };
    if (o.dataPlane === 'haproxy' && !o.haproxySocket && !findBinary(o.haproxyBin)) {
      return { key: 'dataPlane', message: `haproxy needs the haproxy binary (${o.haproxyBin} not found: apt-get install haproxy, or pass --haproxy-bin)` };
    }
    return undefined;
  },
});

type Parsed = Values<typeof proxyTier.flags>;

function toConfig(o: Parsed, adminToken: string | undefined): ProxyConfig {
  return {
    adminToken,
    port: o.port,
    host: o.host,
    adminPort: o.adminPort,
    adminHost: o.adminHost,
    redisUrl: fleetRedisUrl(o.redis, o),
    prefix: o.prefix,
    enableFaults: o.enableFaults,
    balancer: o.balancer,
    dataPlane: o.dataPlane,
    haproxy: o.dataPlane === 'haproxy' ? { bin: o.haproxyBin, socket: o.haproxySocket } : undefined,
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
      retrySent: o.retrySent === 'on',
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
    proxyId: o.id,
    exposeInternal: o.exposeInternal ?? false,
  };
}

export function registerProxy(program: Command): void {
  const cmd = addAdminTokenOption(program.command('proxy')).description('load balancer over the live pool of app servers in Redis');
  addFlags(cmd, proxyTier)
    .action(
      action(async () => {
        const parsed = parseFlags(cmd, proxyTier);
        const cfg = toConfig(parsed, resolveAdminToken(parsed.adminHost, '--admin-host (SHOAL_PROXY_ADMIN_HOST)', cmd.opts<{ adminTokenFile?: string }>().adminTokenFile));
        if (cfg.tls) readKeyPair(cfg.tls); // an unreadable cert or key fails here, before anything starts
        const log = createLogger('proxy', parsed.logLevel);
        // The proxy's modules load only when this command runs: every shoal process stays lean.
        const { isWorker, runPrimary, runWorker } = await import('../../proxy/cluster.js');
        const { startProxy } = await import('../../proxy/start.js');
        const { capYoungGeneration } = await import('../../proxy/young-generation.js');
        if (isWorker()) {
          await runWorker(cfg, log, Number(process.env.SHOAL_PROXY_WORKER ?? 1), process.env.SHOAL_PROXY_ADMIN_ADDRESS ?? '');
          capYoungGeneration();
          return;
        }
        const { startTracing } = await import('../../lib/tracing/setup.js');
        const tracing = () => startTracing({ service: 'proxy', server: '', otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined });
        // OTEL_SDK_DISABLED=true (OpenTelemetry's own switch) turns tracing off
        const traced = process.env.OTEL_SDK_DISABLED !== 'true';
        const running =
          cfg.dataPlane === 'haproxy'
            ? await (await import('../../proxy/haproxy/start.js')).startHaproxyProxy(cfg, log)
            : cfg.workers > 1
              ? await runPrimary(cfg, log)
              : await startProxy(cfg, log, traced ? { tracing: tracing() } : {});
        stopOnSignals(log, () => running.close(), { message: 'shutting down: finishing in-flight requests' });
        capYoungGeneration();
        process.stdout.write(`shoal proxy ready at ${running.url} (admin http://${running.adminAddress})${running.compatUrl ? ` (compat ${running.compatUrl})` : ''}\n`);
      }),
    );
}
