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
