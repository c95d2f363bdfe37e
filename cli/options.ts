import { Option, type Command } from 'commander';
import { z } from 'zod';
import { SENTINEL_URL } from '../fleet/connect.js';
import { DEFAULT_PREFIX } from '../fleet/keys.js';
import { parseDuration } from '../lib/duration.js';
import { PARSE_ONCE } from '../lib/parse-once.js';
import { configError, flag } from './flags.js';

/** `--flag <v>` that falls back to an environment variable (flags > env > defaults). */
export function opt(flags: string, description: string, env?: string): Option {
  const o = new Option(flags, description);
  return env ? o.env(env) : o;
}

/**
 * Validates a command's merged options once, at the edge. A bad value throws a
 * ConfigError whose one line names the flag, its env variable and what was wrong.
 */
export function parseOptions<S extends z.ZodType>(cmd: Command, schema: S): z.infer<S> {
  const raw = cmd.opts();
  const res = schema.safeParse(raw, PARSE_ONCE);
  if (res.success) return res.data;
  const issue = res.error.issues[0]!;
  const key = String(issue.path[0] ?? '');
  throw configError(cmd, key, issue.message, raw[key]);
}

// Reusable field schemas: strings from argv/env coerced and checked.
export const port = z.coerce
  .number({ message: 'expected a port number' })
  .int({ message: 'expected a whole port number 0-65535' })
  .min(0, { message: 'expected a port number 0-65535' })
  .max(65535, { message: 'expected a port number 0-65535' });

export const positiveInt = z.coerce.number({ message: 'expected a number' }).int({ message: 'expected a whole number' }).min(1, { message: 'expected a whole number ≥ 1' });
export const nonNegativeInt = z.coerce.number({ message: 'expected a number' }).int({ message: 'expected a whole number' }).min(0, { message: 'expected a whole number ≥ 0' });
export const positiveNumber = z.coerce.number({ message: 'expected a number' }).positive({ message: 'expected a number > 0' });

/** "5s", "250ms", "2m" → milliseconds. */
export const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v : parseDuration(v);
  if (ms === undefined || ms < 0) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration like 500ms, 5s or 2m' });
    return z.NEVER;
  }
  return ms;
});

export const redisUrl = z
  .string()
  .refine((v) => (/^rediss?:\/\//.test(v) && URL.canParse(v)) || SENTINEL_URL.test(v), { message: 'expected redis://[user:pass@]host:port, rediss://… or redis-sentinel://host:port,host:port/<master name>' });

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

// Flags that mean the same in every command, so they share one variable.

/** The fleet's Redis; a password in it is a secret (environment, never argv or output). */
export const redisFlag = (help: string, def: string) => flag({ arg: '<url>', help, env: 'REDIS_URL', secret: true, default: def, schema: redisUrl });

/** The same, with no default: the command finds Redis some other way when it is absent. */
export const optionalRedisFlag = (help: string) => flag({ arg: '<url>', help, env: 'REDIS_URL', secret: true, schema: redisUrl.optional() });

const sentinelName = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1-64 letters, digits or ._-' });
const hostPort = z.string().refine((v) => {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(v);
  return !!m && Number(m[2]) >= 1 && Number(m[2]) <= 65_535;
}, { message: 'expected host:port,host:port (the Sentinels)' });

/** Redis behind Sentinel without writing a redis-sentinel:// URL: the Sentinels and the primary's name they watch. */
export const sentinelFlags = {
  redisSentinels: flag({
    arg: '<host:port,...>',
    help: 'reach Redis through these Sentinels (follows a failover); replaces --redis',
    env: 'REDIS_SENTINELS',
    schema: z.string().transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean)).pipe(z.array(hostPort).min(1, { message: 'expected host:port,host:port (the Sentinels)' })).optional(),
  }),
  redisSentinelName: flag({ arg: '<name>', help: 'with --redis-sentinels: the primary (master name) they watch', env: 'REDIS_SENTINEL_NAME', default: 'shoal', schema: sentinelName }),
  redisPassword: flag({ arg: '<password>', help: "with --redis-sentinels: Redis's password (a secret: give it in the environment)", env: 'REDIS_PASSWORD', secret: true, schema: z.string().min(1, { message: 'expected a password' }).optional() }),
};

/** Pure: the fleet's Redis URL — `redis-sentinel://[:password@]…/<name>` when Sentinels are given, else --redis. */
export function fleetRedisUrl(redis: string, o: { redisSentinels?: string[]; redisSentinelName: string; redisPassword?: string }): string {
  if (!o.redisSentinels?.length) return redis;
  const auth = o.redisPassword ? `:${encodeURIComponent(o.redisPassword)}@` : '';
  return `redis-sentinel://${auth}${o.redisSentinels.join(',')}/${o.redisSentinelName}`;
}

export const prefixFlag = flag({
  arg: '<prefix>',
  help: 'Redis key prefix',
  env: 'SHOAL_PREFIX',
  default: DEFAULT_PREFIX,
  schema: z.string().min(1, { message: 'expected a non-empty key prefix' }),
});

export const logLevelFlag = flag({ arg: '<level>', help: 'pino level for stderr logs', env: 'SHOAL_LOG_LEVEL', default: 'info', schema: logLevel });

/**
 * Chaos fault hooks (app servers and the proxy): compiled in, inert unless this is given.
 * One variable for every tier, so `shoal up --enable-faults` reaches the app servers the
 * autoscaler launches; as for any switch, setting it at all turns it on.
 */
export const enableFaultsFlag = flag({ help: 'take chaos faults (HTTP delay/abort, CPU and memory hogs) on a loopback-only admin endpoint', env: 'SHOAL_ENABLE_FAULTS', schema: z.boolean().default(false) });
