import type { DataPlane } from '../fleet/index.js';
import type { BalancerKind } from './balancer.js';
import type { HealthConfig } from './health.js';

/** Everything `shoal proxy` was told, parsed and checked once at the CLI edge. Durations in ms. */
export interface ProxyConfig {
  port: number;
  host: string;
  adminPort: number;
  adminHost: string;
  /** Bearer token the admin port requires (mandatory when it is not on loopback). */
  adminToken?: string;
  redisUrl: string;
  prefix: string;
  /** Take HTTP faults for one upstream on the admin port's /faults (chaos experiments); --workers 1 only. */
  enableFaults?: boolean;
  balancer: BalancerKind;
  /** What moves the bytes: this Node process, or HAProxy driven through its Runtime API. */
  dataPlane: DataPlane;
  /** With the haproxy data plane: the binary to run, or the socket of a running HAProxy to attach to. */
  haproxy?: { bin: string; socket?: string };
  /** Node: processes accepting on the port; haproxy: its threads. */
  workers: number;
  tls?: { certFile: string; keyFile: string };
  /** A second port serving the course system's API (requests marked as compat); off when undefined. */
  compatPort?: number;
  /** Plain-HTTP port answering with a redirect to HTTPS (needs tls). */
  redirectHttpPort?: number;
  slowStartMs: number;
  timeouts: {
    /** Opening a connection to an app server. */
    connectMs: number;
    /** The client must send all request headers within this (slowloris guard). */
    headerMs: number;
    /** The client must send the whole request, body included, within this. */
    requestMs: number;
    /** A client socket with nothing happening (keep-alive between requests, stalled reads) is closed. */
    idleMs: number;
    /** The app server must start answering within this. */
    responseMs: number;
    /** Idle keep-alive sockets to app servers are closed after this: below the app's 65 s keep-alive. */
    upstreamIdleMs: number;
    /** On shutdown, how long in-flight requests get to finish. */
    shutdownMs: number;
  };
  limits: {
    maxClientConnections: number;
    /** Keep-alive connections per app server. */
    upstreamConnections: number;
    /** Requests that may wait for a connection per app server; beyond it the server counts as full. */
    queuePerServer: number;
    /** Request bodies up to this size are read before forwarding, so they can be resent. */
    bufferBodyBytes: number;
    /** Attempts per request, first try included. */
    maxAttempts: number;
    /**
     * Resend an idempotent or keyed request whose connection broke or timed out after it was
     * sent (off: only one that never reached a server). On HAProxy these are its L7 retries.
     */
    retrySent: boolean;
    /** Retries as a share of requests (0.2 = at most 20 % extra). */
    retryRatio: number;
    retryMinPerSecond: number;
  };
  health: HealthConfig;
  /** Full registry resync period, the fallback behind pub/sub. */
  resyncMs: number;
  /** A ready server that vanishes from Redis (not marked gone) stays this long: Redis may have restarted empty. */
  missingGraceMs: number;
  /** How often the proxy writes its heartbeat, applied pool version and rates. */
  reportMs: number;
  /** The fleet entry's id; defaults to host:port. */
  proxyId?: string;
  /** Forward the app servers' /metrics, /healthz and /readyz too (off: those answer 404 here). */
  exposeInternal: boolean;
}

export const DEFAULT_TIMEOUTS: ProxyConfig['timeouts'] = {
  connectMs: 2000,
  headerMs: 10_000,
  requestMs: 30_000,
  idleMs: 60_000,
  responseMs: 30_000,
  upstreamIdleMs: 30_000,
  shutdownMs: 10_000,
};

export const DEFAULT_LIMITS: ProxyConfig['limits'] = {
  maxClientConnections: 16_384,
  upstreamConnections: 128,
  queuePerServer: 256,
  bufferBodyBytes: 64 * 1024,
  maxAttempts: 3,
  retrySent: true,
  retryRatio: 0.2,
  retryMinPerSecond: 10,
};

export const DEFAULT_HEALTH: HealthConfig = {
  path: '/readyz',
  intervalMs: 2000,
  timeoutMs: 1000,
  rise: 2,
  fall: 2,
  ejectAfter: 5,
  ejectBaseMs: 5000,
  ejectMaxMs: 60_000,
  maxEjectPercent: 50,
};

/** A whole ProxyConfig as `shoal proxy` runs with no flags given, with `over` on top. */
export function defaultProxyConfig(over: Partial<ProxyConfig> = {}): ProxyConfig {
  return {
    port: 8080,
    host: '127.0.0.1',
    adminPort: 8091,
    adminHost: '127.0.0.1',
    redisUrl: 'redis://127.0.0.1:6379',
    prefix: 'shoal:',
    balancer: 'p2c',
    dataPlane: 'node',
    workers: 1,
    slowStartMs: 10_000,
    timeouts: DEFAULT_TIMEOUTS,
    limits: DEFAULT_LIMITS,
    health: DEFAULT_HEALTH,
    resyncMs: 5000,
    missingGraceMs: 10_000,
    reportMs: 1000,
    exposeInternal: false,
    ...over,
  };
}
