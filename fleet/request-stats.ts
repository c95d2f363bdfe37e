import type { ChainableCommander, Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** What the request monitor publishes for one app server. Totals are absolute and monotonic per boot. */
export interface RequestStats {
  serverId: string;
  bootId: string;
  total: number;
  s2xx: number;
  s3xx: number;
  s4xx: number;
  s5xx: number;
  inflight: number;
  /** Requests/s over the monitor's window (10 s by default). */
  rps: number;
  p50Ms: number;
  p95Ms: number;
  updatedAt: number;
}

const NUMERIC = ['total', 's2xx', 's3xx', 's4xx', 's5xx', 'inflight', 'rps', 'p50Ms', 'p95Ms', 'updatedAt'] as const;
const FIELD: Record<keyof RequestStats, string> = {
  serverId: 'server_id',
  bootId: 'boot_id',
  total: 'total',
  s2xx: '2xx',
  s3xx: '3xx',
  s4xx: '4xx',
  s5xx: '5xx',
  inflight: 'inflight',
  rps: 'rps',
  p50Ms: 'p50_ms',
  p95Ms: 'p95_ms',
  updatedAt: 'updated_at',
};

/** Every field of a request-monitor hash, as stored. */
export const REQUEST_FIELDS = Object.values(FIELD);

/** A request-monitor hash untouched this long is dropped by Redis (the server is long gone). */
export const REQUEST_STATS_TTL_SECONDS = 24 * 3600;

export class RequestStatsStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Queues the whole hash on `pipe` with HSET: a repeated or retried write is harmless. */
  write(pipe: ChainableCommander, address: string, stats: RequestStats): ChainableCommander {
    const args: string[] = [];
    for (const k of Object.keys(FIELD) as (keyof RequestStats)[]) args.push(FIELD[k], String(stats[k]));
    const key = this.keys.requests(address);
    return pipe.hset(key, ...args).expire(key, REQUEST_STATS_TTL_SECONDS);
  }

  async read(address: string): Promise<RequestStats | undefined> {
    return parseStats(await this.redis.hgetall(this.keys.requests(address)));
  }

}

export function parseStats(h: Record<string, string>): RequestStats | undefined {
  if (h.total === undefined) return undefined;
  const s = { serverId: h[FIELD.serverId] ?? '', bootId: h[FIELD.bootId] ?? '' } as RequestStats;
  for (const k of NUMERIC) s[k] = Number(h[FIELD[k]] ?? 0);
  return s;
}

/**
 * Requests between two readings of the monotonic total. A new boot id or a lower total
 * means the server restarted: count from zero rather than going negative.
 */
export function totalDelta(prev: Pick<RequestStats, 'bootId' | 'total'> | undefined, cur: Pick<RequestStats, 'bootId' | 'total'>): number {
  if (!prev || prev.bootId !== cur.bootId || cur.total < prev.total) return cur.total;
  return cur.total - prev.total;
}
