import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { spawnRedis, type EmbeddedRedis } from './redis-server.js';

export interface SentinelOptions {
  /** 0 = a free port; a restart passes the first run's. */
  port?: number;
  /** The primary it watches, on loopback. */
  primaryPort: number;
  /** The master name clients ask for (`--redis-sentinel-name`). */
  name: string;
  /** Its config file lives here: Sentinel rewrites it with what it learns (replicas, epochs). */
  dir: string;
  logFile?: string;
  detached?: boolean;
  password?: string;
  /** A restart keeps the config Sentinel rewrote (the current primary may be the old replica). */
  restart?: boolean;
}

/**
 * A Debian `redis-sentinel` child watching the primary: quorum 2 of 3, down after 1 s of
 * silence, so a SIGKILLed primary is replaced within a few seconds on one machine.
 */
export async function startSentinel(o: SentinelOptions): Promise<EmbeddedRedis> {
  const port = o.port || (await freePort());
  mkdirSync(o.dir, { recursive: true });
  const conf = join(o.dir, `sentinel-${port}.conf`);
  const lines = [
    `port ${port}`,
    'bind 127.0.0.1',
    `dir ${o.dir}`,
    `sentinel monitor ${o.name} 127.0.0.1 ${o.primaryPort} 2`,
    `sentinel down-after-milliseconds ${o.name} 1000`,
    `sentinel failover-timeout ${o.name} 5000`,
    `sentinel parallel-syncs ${o.name} 1`,
  ];
  if (o.password) lines.push(`sentinel auth-pass ${o.name} "${o.password.replace(/["\\]/g, '\\$&')}"`);
  // holds the password: owner-only
  if (!o.restart || !existsSync(conf)) writeFileSync(conf, lines.join('\n') + '\n', { mode: 0o600 });
  return spawnRedis(process.env.SHOAL_REDIS_SENTINEL ?? 'redis-sentinel', [conf], port, '', { detached: o.detached, logFile: o.logFile });
}

/** The primary's port as the sentinels see it now (the first that answers), or undefined. */
export async function primaryPort(sentinelPorts: readonly number[], name: string): Promise<number | undefined> {
  const { Redis } = await import('ioredis');
  for (const port of sentinelPorts) {
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, connectTimeout: 500, commandTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {});
    try {
      await c.connect();
      const addr = (await c.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string] | null;
      if (addr) return Number(addr[1]);
    } catch {
      // that sentinel is down too: ask the next
    } finally {
      c.disconnect();
    }
  }
  return undefined;
}

/**
 * For a restart under Sentinel: waits until the sentinels name a primary other than the
 * node on `ownPort` (they fail over within seconds), so it rejoins as that primary's replica
 * instead of coming back as a second primary with stale data.
 */
export async function awaitOtherPrimary(sentinelPorts: readonly number[], name: string, ownPort: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await primaryPort(sentinelPorts, name);
    if (p !== undefined && p !== ownPort) return p;
    if (Date.now() > deadline) throw new Error(`Sentinel named no primary other than 127.0.0.1:${ownPort} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
