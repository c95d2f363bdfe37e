import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** A proxy's registration: liveness, the pool version it applied (drain ack) and its demand signal. */
export interface ProxyInfo {
  id: string;
  address: string;
  adminAddress: string;
  heartbeatAt: number;
  appliedPoolVersion: number;
  /** Everything that arrived, 503s and errors included: the autoscaler's demand signal. */
  offeredTotal: number;
  servedTotal: number;
  offeredRps: number;
  servedRps: number;
  bootId: string;
  /** What moves the bytes: shoal's Node proxy or HAProxy driven by it (`--data-plane`); read back as 'node' when absent. */
  dataPlane?: DataPlane;
}

export const DATA_PLANES = ['node', 'haproxy'] as const;
export type DataPlane = (typeof DATA_PLANES)[number];

/** A proxy whose entry is not refreshed within this many seconds disappears. */
export const PROXY_TTL_SECONDS = 15;

const FIELD: Record<keyof ProxyInfo, string> = {
  id: 'id',
  address: 'address',
  adminAddress: 'admin_address',
  heartbeatAt: 'heartbeat_at',
  appliedPoolVersion: 'applied_pool_version',
  offeredTotal: 'offered_total',
  servedTotal: 'served_total',
  offeredRps: 'offered_rps',
  servedRps: 'served_rps',
  bootId: 'boot_id',
  dataPlane: 'data_plane',
};
const NUMERIC = ['heartbeatAt', 'appliedPoolVersion', 'offeredTotal', 'servedTotal', 'offeredRps', 'servedRps'] as const;

/** A proxy's hash; undefined when it expired. */
export function parseProxy(raw: Record<string, string>): ProxyInfo | undefined {
  if (!raw.id) return undefined;
  // entries written before data planes existed are the Node proxy's
  const dataPlane: DataPlane = raw.data_plane === 'haproxy' ? 'haproxy' : 'node';
  const p = { id: raw.id, address: raw.address ?? '', adminAddress: raw.admin_address ?? '', bootId: raw.boot_id ?? '', dataPlane } as ProxyInfo;
  for (const k of NUMERIC) p[k] = Number(raw[FIELD[k]] ?? 0);
  return p;
}

export class ProxyRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Writes the proxy's whole entry and refreshes its TTL, in one round trip. */
  async report(info: ProxyInfo): Promise<void> {
    const args: string[] = [];
    for (const k of Object.keys(FIELD) as (keyof ProxyInfo)[]) if (info[k] !== undefined) args.push(FIELD[k], String(info[k]));
    const key = this.keys.proxy(info.id);
    await this.redis.multi().hset(key, ...args).expire(key, PROXY_TTL_SECONDS).sadd(this.keys.proxies, info.id).exec();
  }

  async remove(id: string): Promise<void> {
    await this.redis.multi().del(this.keys.proxy(id)).srem(this.keys.proxies, id).exec();
  }

  /** Live proxies only; ids whose entry expired are pruned. */
  async list(): Promise<ProxyInfo[]> {
    const ids = await this.redis.smembers(this.keys.proxies);
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.keys.proxy(id));
    const res = (await pipe.exec()) ?? [];
    const out: ProxyInfo[] = [];
    const vanished: string[] = [];
    res.forEach(([err, h], i) => {
      if (err) return;
      const p = parseProxy(h as Record<string, string>);
      if (p) out.push(p);
      else vanished.push(ids[i]!);
    });
    if (vanished.length) await this.redis.srem(this.keys.proxies, ...vanished);
    return out;
  }
}
