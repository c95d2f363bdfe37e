import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from '../../lib/errors.js';
import { fleetRedisUrl, opt, redisUrl, sentinelFlags } from '../options.js';
import { readStack, stackPath } from './stack-file.js';

export interface FleetTarget {
  redisUrl: string;
  prefix: string;
}

/**
 * Where a command finds the fleet: --redis-sentinels / REDIS_SENTINELS or --redis / REDIS_URL
 * when given, else the stack that `shoal up` recorded in the data dir.
 */
export async function locateFleet(opts: { redis?: string; redisSentinels?: string[]; redisSentinelName?: string; prefix?: string; dataDir: string }): Promise<FleetTarget> {
  if (opts.redisSentinels?.length) return { redisUrl: fleetRedisUrl('', { redisSentinels: opts.redisSentinels, redisSentinelName: opts.redisSentinelName ?? 'shoal' }), prefix: opts.prefix ?? 'shoal:' };
  if (opts.redis) return { redisUrl: opts.redis, prefix: opts.prefix ?? 'shoal:' };
  const stack = await readStack(opts.dataDir);
  if (!stack) {
    throw new ConfigError(`no --redis (REDIS_URL) given and no running stack recorded at ${stackPath(opts.dataDir)} (start one with shoal up)`);
  }
  return { redisUrl: stack.redis.url, prefix: opts.prefix ?? stack.prefix };
}

/** The flags of every command that reads a running fleet (status, drain, fleet ls). */
export function addFleetTargetOptions(cmd: Command): Command {
  return cmd
    .addOption(opt('--redis <url>', 'Redis of the fleet (default: the stack in --data-dir)', 'REDIS_URL'))
    .addOption(opt('--redis-sentinels <host:port,...>', sentinelFlags.redisSentinels.help, 'REDIS_SENTINELS'))
    .addOption(opt('--redis-sentinel-name <name>', sentinelFlags.redisSentinelName.help, 'REDIS_SENTINEL_NAME').default('shoal'))
    .addOption(opt('--prefix <prefix>', 'Redis key prefix', 'SHOAL_PREFIX'))
    .addOption(opt('--data-dir <dir>', 'where shoal up keeps stack.json', 'SHOAL_DATA_DIR').default('.shoal'));
}

export const fleetTargetSchema = {
  redis: redisUrl.optional(),
  redisSentinels: sentinelFlags.redisSentinels.schema,
  redisSentinelName: sentinelFlags.redisSentinelName.schema,
  prefix: z.string().min(1).optional(),
  dataDir: z.string().min(1),
};
