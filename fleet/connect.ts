import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

export interface ConnectOptions {
  /**
   * Queue commands while disconnected. Off for hot paths (monitors, proxy): a write that
   * cannot go now fails fast and the next flush carries the totals, so nothing piles up.
   */
  offlineQueue?: boolean;
  /** Connection name shown by CLIENT LIST, for operators. */
  name?: string;
  /** A command without an answer this long fails (a frozen Redis must not hang a caller). */
  commandTimeoutMs?: number;
  /** A TCP connect that takes longer fails and is retried. */
  connectTimeoutMs?: number;
}

/** Loopback or a LAN Redis answers in well under a millisecond; a second is a missed round trip. */
export const COMMAND_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MS = 2000;

/** `redis-sentinel://[:password@]host:port,host:port/<master name>`: Redis behind Sentinel. */
export const SENTINEL_URL = /^redis-sentinel:\/\/(?::([^@/]*)@)?((?:[^,/@\s]+:\d{1,5},)*[^,/@\s]+:\d{1,5})\/([A-Za-z0-9._-]+)$/;

/** Pure: the sentinels, master name and password of a sentinel URL; undefined for any other URL. */
export function parseSentinelUrl(url: string): { sentinels: { host: string; port: number }[]; name: string; password?: string } | undefined {
  const m = SENTINEL_URL.exec(url);
  if (!m) return undefined;
  const sentinels = m[2]!.split(',').map((hp) => {
    const i = hp.lastIndexOf(':');
    return { host: hp.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hp.slice(i + 1)) };
  });
  return { sentinels, name: m[3]!, password: m[1] ? decodeURIComponent(m[1]) : undefined };
}

// One place that turns REDIS_URL into a client with shoal's reconnect policy:
// capped exponential back-off, never giving up (fail static, resume on reconnect),
// and a deadline on every command, so a Redis that is stopped (SIGSTOP, a full disk,
// a dead link that TCP has not noticed) fails callers instead of freezing them.
export function connectRedis(url: string, opts: ConnectOptions = {}): Redis {
  const options: RedisOptions = {
    connectionName: opts.name,
    enableOfflineQueue: opts.offlineQueue ?? true,
    maxRetriesPerRequest: opts.offlineQueue === false ? 0 : 2,
    connectTimeout: opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    commandTimeout: opts.commandTimeoutMs ?? COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    lazyConnect: false,
  };
  // Behind Sentinel the client asks the sentinels for the primary and follows a failover:
  // on +switch-master (failoverDetector) or on its next reconnect it dials the new one.
  const sentinel = parseSentinelUrl(url);
  const client = sentinel
    ? new Redis({ ...options, sentinels: sentinel.sentinels, name: sentinel.name, password: sentinel.password, failoverDetector: true, sentinelRetryStrategy: (times) => Math.min(100 * times, 1000) })
    : new Redis(url, options);
  // ioredis emits 'error' on every failed reconnect; callers log state changes themselves.
  client.on('error', () => {});
  return client;
}

export function isReady(client: Redis): boolean {
  return client.status === 'ready';
}
