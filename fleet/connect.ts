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
}

// One place that turns REDIS_URL into a client with shoal's reconnect policy:
// capped exponential back-off, never giving up (fail static, resume on reconnect).
export function connectRedis(url: string, opts: ConnectOptions = {}): Redis {
  const options: RedisOptions = {
    connectionName: opts.name,
    enableOfflineQueue: opts.offlineQueue ?? true,
    maxRetriesPerRequest: opts.offlineQueue === false ? 0 : 2,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    lazyConnect: false,
  };
  const client = new Redis(url, options);
  // ioredis emits 'error' on every failed reconnect; callers log state changes themselves.
  client.on('error', () => {});
  return client;
}

export function isReady(client: Redis): boolean {
  return client.status === 'ready';
}
