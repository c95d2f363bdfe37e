import { once } from 'node:events';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { ShoalError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { FaultState, faultRoutes } from '../lib/fault-admin.js';
import type { ProxyConfig } from './config.js';
import { upstreamConnector } from './connector.js';
import { ControlPlane, endpoints, formatHost, type RunningProxy } from './control.js';
import { deferUntilData, type Waiting } from './deferred-accept.js';
import { DemandCounters } from './demand.js';
import { createForwarder, type ForwarderOptions } from './forward.js';
import { ActiveChecker } from './health.js';
import { applyLimits, serverOptions } from './limits.js';
import { ProxyMetrics } from './metrics.js';
import { startQuietGc } from './quiet-gc.js';
import { RetryBudget } from './retry.js';
import { readKeyPair, reloadKeyPair, startRedirect } from './tls.js';
import { UpstreamSet } from './upstream.js';
import type { Tracing } from '../lib/tracing/setup.js';
import { createUpgradeHandler } from './ws.js';

export interface StartOptions {
  /** In a cluster worker: no admin server, metrics shared with the primary, a per-worker fleet id. */
  worker?: { index: number; adminAddress: string };
  /** Trace requests (the single-process proxy: a cluster's workers have no admin port to show their traces on). */
  tracing?: Tracing;
}

/** Starts one proxy process: membership, health checks, the HTTP(S) listener, admin and reporting. */
export async function startProxy(cfg: ProxyConfig, log: Logger, opts: StartOptions = {}): Promise<RunningProxy> {
  const control = new ControlPlane(cfg, log);
  // `set` is declared below; the gauges only read it at scrape time
  const metrics = new ProxyMetrics(() => set, () => control.health.up);
  if (opts.worker) metrics.shareWithPrimary();
  const checker = new ActiveChecker(cfg.health, () => {}, log);
  const set = new UpstreamSet({
    pool: {
      connections: cfg.limits.upstreamConnections,
      pipelining: 1,
      connect: upstreamConnector(cfg.timeouts.connectMs),
      // below the app's 65 s keep-alive, so the proxy never reuses a socket the app is closing
      keepAliveTimeout: cfg.timeouts.upstreamIdleMs,
      keepAliveMaxTimeout: cfg.timeouts.upstreamIdleMs,
      headersTimeout: cfg.timeouts.responseMs,
      bodyTimeout: cfg.timeouts.idleMs,
    },
    health: cfg.health,
    slowStartMs: cfg.slowStartMs,
    maxPending: cfg.limits.upstreamConnections + cfg.limits.queuePerServer,
    missingGraceMs: cfg.missingGraceMs,
    checker,
    log,
    onEject: (u) => metrics.ejections.inc({ upstream: u.id }),
  });
  await control.follow(set);

  let closing = false;
  const counters = new DemandCounters();
  const proto = cfg.tls ? 'https' : 'http';
  const faults = cfg.enableFaults && !opts.worker ? new FaultState(false) : undefined;
  const forwarding: Omit<ForwarderOptions, 'compat'> = {
    upstreams: set,
    balancer: cfg.balancer,
    budget: new RetryBudget({ ratio: cfg.limits.retryRatio, minPerSecond: cfg.limits.retryMinPerSecond }),
    metrics,
    counters,
    proto,
    responseTimeoutMs: cfg.timeouts.responseMs,
    bodyIdleMs: cfg.timeouts.idleMs,
    bufferBodyBytes: cfg.limits.bufferBodyBytes,
    maxAttempts: cfg.limits.maxAttempts,
    retrySent: cfg.limits.retrySent,
    closing: () => closing,
    exposeInternal: cfg.exposeInternal,
    faults: faults?.rules,
    log,
    tracer: opts.tracing?.tracer,
  };
  const sOpts = serverOptions(cfg.timeouts);
  const makeServer = (compat: boolean): Listener => {
    const handler = createForwarder({ ...forwarding, compat });
    const srv = cfg.tls ? createHttpsServer({ ...sOpts, ...readKeyPair(cfg.tls) }, handler) : createHttpServer(sOpts, handler);
    applyLimits(srv, cfg, log);
    if (cfg.tls) srv.on('tlsClientError', () => {}); // failed handshakes are the client's problem, not an exception
    // a client that connected and said nothing, or waits kept alive between requests, costs a socket, not an HTTP connection
    const waiting = deferUntilData(srv, { headerMs: cfg.timeouts.headerMs, sweepMs: sOpts.connectionsCheckingInterval, answer: !cfg.tls, park: log });
    return { server: srv, waiting };
  };
  const listener = makeServer(false);
  const server = listener.server;
  server.on('upgrade', createUpgradeHandler({ upstreams: set, balancer: cfg.balancer, metrics, counters, exposeInternal: cfg.exposeInternal, log }));
  await listen(server, cfg.host, cfg.port);
  const port = (server.address() as AddressInfo).port;
  // The course API on its own port, as the course's services each had theirs: same pool, marked requests.
  const compatListener = cfg.compatPort === undefined ? undefined : makeServer(true);
  const compatServer = compatListener?.server;
  if (compatServer) await listen(compatServer, cfg.host, cfg.compatPort!);
  const waiting = [listener, compatListener].flatMap((l) => l?.waiting ?? []);
  metrics.waitingClients(() => waiting.reduce((sum, w) => {
    const c = w.counts();
    return { silent: sum.silent + c.silent, parked: sum.parked + c.parked };
  }, { silent: 0, parked: 0 }));
  const ends = endpoints(cfg, port, compatServer && (compatServer.address() as AddressInfo).port);
  const stopQuietGc = startQuietGc(() => counters.offered + waiting.reduce((sum, w) => sum + w.accepted(), 0), log);

  if (cfg.tls) {
    const tls = cfg.tls;
    control.onReload(() => {
      reloadKeyPair(server as HttpsServer, tls, log);
      if (compatServer) reloadKeyPair(compatServer as HttpsServer, tls, log);
    });
  }
  const redirect = cfg.tls && cfg.redirectHttpPort !== undefined ? await startRedirect(cfg, cfg.redirectHttpPort, () => port, log) : undefined;

  const baseId = cfg.proxyId ?? `${hostname()}:${port}`;
  const proxyId = baseId + (opts.worker ? `/w${opts.worker.index}` : '');
  // workers share the label, so the primary sums them into one proxy
  metrics.identify(baseId);
  opts.tracing?.store.identify(baseId);
  const pool = () => control.poolView(proxyId, 'node', set.view(Date.now()), set.failingOpen);
  const adminAddress = await control.publish({
    counters,
    id: proxyId,
    address: ends.address,
    dataPlane: 'node',
    admin: opts.worker
      ? undefined
      : {
          metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
          pool: async () => pool(),
          traces: opts.tracing && (() => opts.tracing!.store.traces()),
        },
    faults: faults && faultRoutes(faults, log),
    adminAddress: opts.worker?.adminAddress,
  });

  return {
    ...ends,
    adminAddress,
    metrics,
    pool,
    async close() {
      if (closing) return;
      closing = true;
      stopQuietGc();
      control.stopFollowing();
      checker.close();
      await Promise.all([drain(listener, cfg.timeouts.shutdownMs), compatListener && drain(compatListener, cfg.timeouts.shutdownMs)]);
      redirect?.close();
      await control.close();
      await set.close();
    },
  };
}

/** A client-facing server and its clients waiting for their next bytes (silent or parked). */
interface Listener {
  server: Server | HttpsServer;
  waiting?: Waiting;
}

/** Stops accepting and closes idle keep-alive and silent sockets; busy ones get until `ms` to finish. */
async function drain({ server, waiting }: Listener, ms: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  waiting?.close();
  const timer = setTimeout(() => server.closeAllConnections(), ms);
  await closed;
  clearTimeout(timer);
}

async function listen(server: Server | HttpsServer, host: string, port: number): Promise<void> {
  server.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ShoalError('SHOAL_ERR_LISTEN', `cannot listen on ${formatHost(host)}:${port}: ${code === 'EADDRINUSE' ? 'port in use' : (code ?? String(err))}`, 500, { cause: err });
  }
}
