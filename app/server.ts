import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Middleware } from 'koa';
import { connectRedis, Fleet, type Redis } from '../fleet/index.js';
import { ConfigError } from '../lib/errors.js';
import { edgeServerOptions, guardEdges, refuseHttp09 } from '../lib/http-edges.js';
import { createLogger, type Logger } from '../lib/log.js';
import { PARSE_ONCE } from '../lib/parse-once.js';
import { redisUpGauge } from '../lib/metrics.js';
import { MemoryMonitor } from '../monitors/memory-monitor.js';
import { MonitorMetrics } from '../monitors/metrics.js';
import { RequestMonitor } from '../monitors/request-monitor.js';
import { appConfig, type AppConfig, type AppConfigInput, type AppDeps } from './config.js';
import { openDynamo, type Dynamo } from './dynamodb/client.js';
import { traceDynamo } from './dynamodb/tracing.js';
import { MEMORY } from './dynamodb/embedded.js';
import { faultMiddleware } from './http/faults.js';
import { createKoaApp } from './http/koa-app.js';
import { HttpMetrics } from './http/metrics.js';
import { LoginGuard } from './auth/login-guard.js';
import { TokenService } from './auth/tokens.js';
import { Readiness } from './readiness.js';
import { Registration } from './registration.js';
import { WarmUpMark } from './warm-up/mark.js';
import { createTables, Stores, tableNames } from './store/index.js';

export interface AppHandle {
  id: string;
  bootId: string;
  /** The advertised host:port (what the registry holds). */
  address: string;
  url: string;
  /** Where DynamoDB is, e.g. the embedded dynalite's URL. */
  dynamoTarget: string;
  config: AppConfig;
  /** Graceful stop: draining, finish in-flight (up to the drain timeout), gone, final flush. Idempotent. */
  close(): Promise<void>;
}

function formatAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new ConfigError(`invalid --port (SHOAL_APP_PORT): ${host}:${port} is already in use`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') throw new ConfigError(`invalid --host (SHOAL_APP_HOST): cannot bind ${host} (${err.code})`);
    if (err.code === 'EACCES') throw new ConfigError(`invalid --port (SHOAL_APP_PORT): no permission to bind ${host}:${port}`);
    throw err;
  });
  return (server.address() as AddressInfo).port;
}

/** Where this process reaches its own listener: the bound address, loopback for a wildcard. */
function ownListener(server: Server): { host: string; port: number } {
  const a = server.address() as AddressInfo;
  const host = a.address === '0.0.0.0' ? '127.0.0.1' : a.address === '::' ? '::1' : a.address;
  return { host, port: a.port };
}

function waitForRedis(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready' || ms === 0) return Promise.resolve();
  return new Promise((ok) => {
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
    function done() {
      clearTimeout(timer);
      redis.off('ready', done);
      ok();
    }
  });
}

/** Starts one app server: DynamoDB, HTTP, monitors, registry entry. */
export async function startApp(input: AppConfigInput, deps: AppDeps = {}): Promise<AppHandle> {
  const config = appConfig.parse(input, PARSE_ONCE);
  const log = deps.log ?? createLogger('app');
  if (!config.advertise && ['0.0.0.0', '::'].includes(config.host)) {
    throw new ConfigError(`invalid --advertise (SHOAL_APP_ADVERTISE): --host ${config.host} listens on every interface; name the host:port others reach this server at`);
  }
  const dataDir = config.dataDir === MEMORY ? MEMORY : resolve(config.dataDir);
  const dynamo: Dynamo = await openDynamo({ choice: config.dynamodb, dataDir, region: config.awsRegion, envCredentials: config.awsEnvCredentials });
  const cleanups: (() => Promise<unknown> | void)[] = [() => dynamo.close()];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => {});
  };
  try {
    const names = tableNames(config.tablePrefix);
    if (config.createTables) {
      const res = await createTables(dynamo.client, names, dynamo.target);
      log.info(res, 'tables ready');
    }
    const stores = new Stores(dynamo, names, config.idempotencyLeaseMs);
    const readiness = new Readiness(() => stores.probe());
    // Not ready (/readyz 503, no `ready` entry) until the warm-up has run; its requests carry the mark.
    const warmUpMark = config.warmUp.requests > 0 ? new WarmUpMark() : undefined;
    const notTraffic = warmUpMark && ((req: IncomingMessage) => warmUpMark.marks(req));
    readiness.warming = warmUpMark !== undefined;
    const id = config.serverId ?? `app-${randomUUID().slice(0, 8)}`;
    const metrics = new HttpMetrics(id, notTraffic);
    const tracing = deps.tracing?.(id);
    if (tracing) for (const c of [dynamo.client, dynamo.doc]) traceDynamo(c, tracing.tracer);
    // The monitor needs the bound port, known only after listen: route through a slot.
    let monitor: Middleware = (_ctx, next) => next();
    const redis = connectRedis(config.redisUrl, { offlineQueue: false, name: `shoal-app:${id}` });
    redisUpGauge(metrics.registry, () => redis.status === 'ready');
    cleanups.push(() => redis.disconnect());
    const fleet = new Fleet(redis, config.prefix);
    const auth = {
      mode: config.auth,
      compat: config.compatAuth,
      tokens: new TokenService(fleet, { rotateMs: config.keyRotationMs, tokenTtlMs: config.tokenTtlMs, refreshMs: 10_000 }),
      guard: new LoginGuard(fleet, config.loginLimits),
    };
    // Inside the monitor, so an injected abort counts as the 5xx it is.
    // Loaded only with --enable-faults: its request schemas cost every other boot for nothing.
    const faultAdmin = config.enableFaults ? await import('../lib/fault-admin.js') : undefined;
    const faults = faultAdmin ? new faultAdmin.FaultState(true) : undefined;
    const outer: Middleware = faults ? ((mw) => (ctx, next) => monitor(ctx, () => mw(ctx, next)))(faultMiddleware(faults)) : (ctx, next) => monitor(ctx, next);
    const koa = createKoaApp({ stores, readiness, metrics, log, bodyLimitBytes: config.bodyLimitBytes, auth, tracing, monitor: outer });

    const handle = koa.callback();
    const timeouts = { headerMs: config.headerTimeoutMs, requestMs: config.requestTimeoutMs, keepAliveMs: config.keepAliveTimeoutMs };
    const server = createServer(edgeServerOptions(timeouts), (req, res) => void (refuseHttp09(req, res) || handle(req, res)));
    guardEdges(server, log, { maxConnections: config.maxConnections, capName: '--max-connections' });
    const port = await listen(server, config.port, config.host);
    cleanups.push(() => new Promise<void>((ok) => (server.closeAllConnections(), server.close(() => ok()))));
    const address = config.advertise ?? formatAddress(config.host, port);

    const bootId = randomUUID();

    let requestMonitor: RequestMonitor | undefined;
    let memoryMonitor: MemoryMonitor | undefined;
    if (config.monitors) {
      const monitorMetrics = new MonitorMetrics(metrics.registry, () => requestMonitor?.inflight ?? 0);
      requestMonitor = new RequestMonitor({ fleet, address, serverId: id, bootId, intervalMs: config.monitorIntervalMs, log, metrics: monitorMetrics, exclude: notTraffic });
      memoryMonitor = new MemoryMonitor({ fleet, address, serverId: id, intervalMs: config.monitorIntervalMs, log, metrics: monitorMetrics });
      monitor = requestMonitor.middleware();
    }

    const self = { address, host: hostname(), bootId };
    const own = { provider: config.provider, instanceId: config.instanceId ?? String(process.pid), launchedAt: Date.now() };
    const registration = new Registration(
      fleet,
      id,
      {
        // A launcher's entry keeps its fields, except what the instance itself knows better.
        ready: config.serverId ? { ...self, ...(config.instanceId ? { provider: config.provider, instanceId: config.instanceId } : {}) } : { ...own, ...self },
        whenMissing: { ...own, ...self },
      },
      readiness,
      log,
      config.heartbeatIntervalMs,
    );
    await waitForRedis(redis, config.redisWaitMs);
    requestMonitor?.start();
    memoryMonitor?.start();
    if (faultAdmin && faults) {
      const hooks = await faultAdmin.startFaultAdmin(faults, log);
      cleanups.push(() => hooks.close(), () => faults.clear());
      await fleet.chaos.setHook(id, hooks.address).catch((err: Error) => log.warn({ err: err.message }, 'could not record the fault hooks address'));
      cleanups.push(() => fleet.chaos.removeHook(id));
      log.warn({ id, faults: hooks.address }, 'fault hooks enabled (--enable-faults): chaos tools on this machine may slow or fail this server');
    }
    if (warmUpMark) await (await import('./warm-up/run.js')).warmUpBeforeReady(ownListener(server), config.warmUp, warmUpMark, readiness, log);
    await registration.ready();
    registration.start();
    if (config.spotPollMs > 0) {
      const { SpotWatch } = await import('./spot-watch.js');
      // A Spot notice: leave the pool now (proxies stop sending, the autoscaler launches the replacement and terminates this one once drained).
      const watch = new SpotWatch({
        intervalMs: config.spotPollMs,
        log,
        onNotice: (n) => {
          log.warn({ id, notice: n.kind, detail: n.detail }, `spot ${n.kind} notice: draining this server`);
          readiness.draining = true;
          void registration.draining();
        },
      });
      watch.start();
      cleanups.push(() => watch.stop());
    }
    log.info({ id, address, dynamodb: dynamo.target, tables: names }, 'app serving');

    let closing: Promise<void> | undefined;
    const drain = async () => {
      readiness.draining = true;
      log.info({ id, drainTimeoutMs: config.drainTimeoutMs }, 'draining: finishing in-flight requests');
      await registration.draining();
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      // Sockets that go idle after their last response are closed as they appear.
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([closed.then(() => false), new Promise<boolean>((ok) => (timer = setTimeout(() => ok(true), config.drainTimeoutMs)))]);
      clearInterval(sweep);
      clearTimeout(timer);
      if (timedOut) {
        log.warn({ inflight: requestMonitor?.inflight }, 'drain timeout: closing the remaining connections');
        server.closeAllConnections();
        await closed;
      }
      await registration.gone();
      await Promise.all([requestMonitor?.stop(), memoryMonitor?.stop()].map((p) => p?.catch((err: Error) => log.warn({ err: err.message }, 'final monitor flush failed'))));
      await cleanup();
      log.info({ id }, 'stopped');
    };

    return {
      id,
      bootId,
      address,
      url: `http://${address}`,
      dynamoTarget: dynamo.target,
      config,
      close: () => (closing ??= drain()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export type { AppConfig, AppConfigInput } from './config.js';
export type { Logger };
