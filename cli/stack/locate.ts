import { ConfigError } from '../../lib/errors.js';
import { readStack, stackPath } from './stack-file.js';

export interface FleetTarget {
  redisUrl: string;
  prefix: string;
}

/**
 * Where a command finds the fleet: --redis / REDIS_URL when given, else the stack that
 * `shoal up` recorded in the data dir.
 */
export async function locateFleet(opts: { redis?: string; prefix?: string; dataDir: string }): Promise<FleetTarget> {
  if (opts.redis) return { redisUrl: opts.redis, prefix: opts.prefix ?? 'shoal:' };
  const stack = await readStack(opts.dataDir);
  if (!stack) {
    throw new ConfigError(`no --redis (REDIS_URL) given and no running stack recorded at ${stackPath(opts.dataDir)} (start one with shoal up)`);
  }
  return { redisUrl: stack.redis.url, prefix: opts.prefix ?? stack.prefix };
}
