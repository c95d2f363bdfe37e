import type { Tracing } from '../lib/tracing/setup.js';
import { z } from 'zod';
import { DEFAULT_PREFIX } from '../fleet/keys.js';
import type { Logger } from '../lib/log.js';
import { DEFAULT_TABLE_PREFIX } from './store/table-names.js';

const UNSPECIFIED = new Set(['0.0.0.0', '::', '[::]', '']);

/** `host:port` others can reach this server at; never the wildcard addresses. */
export const advertiseAddress = z.string().superRefine((v, ctx) => {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    ctx.addIssue({ code: 'custom', message: 'expected host:port with a port 1-65535 (IPv6 as [addr]:port)' });
  } else if (UNSPECIFIED.has(m[1]!)) {
    ctx.addIssue({ code: 'custom', message: `${m[1]} is "any address", not one others can reach: advertise a routable host:port` });
  }
});

export const tablePrefix = z.string().regex(/^[a-zA-Z0-9_.-]{0,200}$/, { message: 'table names allow letters, digits, _ . - only' });
export const serverId = z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/, { message: 'expected 1-128 letters, digits or ._:@-' });

const dynamo = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('embedded') }),
  z.object({ kind: z.literal('aws') }),
  z.object({ kind: z.literal('endpoint'), url: z.url() }),
]);

/** Which requests to shoal's own API need a bearer token. */
export const AUTH_MODES = ['off', 'writes', 'all'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];
/** The course API: any `Authorization` value (as the originals), or a token from its `/login`. */
export const COMPAT_AUTH_MODES = ['any', 'strict'] as const;
export type CompatAuthMode = (typeof COMPAT_AUTH_MODES)[number];

/**
 * Everything `startApp` needs, as a plain validated object. The CLI builds it from flags
 * and environment once; tests and `shoal up` pass it directly (defaults fill the rest).
 */
export const appConfig = z.object({
  port: z.number().int().min(0).max(65535).default(3000),
  host: z.string().min(1).default('127.0.0.1'),
  /** Defaults to the bound address. */
  advertise: advertiseAddress.optional(),
  redisUrl: z.string().default('redis://127.0.0.1:6379'),
  prefix: z.string().min(1).default(DEFAULT_PREFIX),
  /** The id a launcher created (`launching`); absent → the app creates its own entry. */
  serverId: serverId.optional(),
  provider: z.string().min(1).default('manual'),
  /** Provider handle recorded when the app creates its own entry; the pid by default. */
  instanceId: z.string().optional(),
  dynamodb: dynamo.default({ kind: 'aws' }),
  dataDir: z.string().min(1).default('.shoal'),
  tablePrefix: tablePrefix.default(DEFAULT_TABLE_PREFIX),
  createTables: z.boolean().default(false),
  awsRegion: z.string().min(1).optional(),
  /** AWS credentials configured in the environment; custom endpoints otherwise get dummy ones. */
  awsEnvCredentials: z.boolean().default(false),
  /** Off only for benchmarks that measure what the monitors cost. */
  monitors: z.boolean().default(true),
  monitorIntervalMs: z.number().int().positive().default(1000),
  heartbeatIntervalMs: z.number().int().positive().default(2000),
  drainTimeoutMs: z.number().int().nonnegative().default(30_000),
  /** On EC2: how often IMDS is polled for a Spot interruption notice or rebalance recommendation (0 = not at all). */
  spotPollMs: z.number().int().nonnegative().default(0),
  bodyLimitBytes: z.number().int().positive().default(64 * 1024),
  /** Above every proxy's upstream idle timeout (the proxy uses 30 s), so the proxy closes first. */
  keepAliveTimeoutMs: z.number().int().positive().default(65_000),
  /** A client must send its request headers within this (slowloris guard); 408 after. */
  headerTimeoutMs: z.number().int().positive().default(10_000),
  /** A client must send its whole request, body included, within this; 408 after. */
  requestTimeoutMs: z.number().int().positive().default(30_000),
  /** Open client connections at most; more are closed as they arrive (raise ulimit -n to match). */
  maxConnections: z.number().int().positive().default(1024),
  /** How long a claimed Idempotency-Key blocks a repeat (409) before a retry may take it over. */
  idempotencyLeaseMs: z.number().int().positive().default(10_000),
  /** How long start-up waits for Redis before serving anyway (registration then retries). */
  redisWaitMs: z.number().int().nonnegative().default(5000),
  auth: z.enum(AUTH_MODES).default('writes'),
  /** Take chaos faults (delay/abort, cpu and memory hogs) on a loopback-only port of its own. */
  enableFaults: z.boolean().default(false),
  compatAuth: z.enum(COMPAT_AUTH_MODES).default('any'),
  /**
   * Requests the server sends itself before it reports ready (app/warm-up), at most for
   * `timeMs`. Off unless asked: `shoal app` asks (its --warm-up); tests and benches that
   * embed startApp choose.
   */
  warmUp: z.object({ requests: z.number().int().nonnegative(), timeMs: z.number().int().positive() }).default({ requests: 0, timeMs: 10_000 }),
  /** Bearer token life: short, so a leaked token is worth little and the deny list stays small. */
  tokenTtlMs: z.number().int().positive().default(15 * 60_000),
  /** A new signing key (kid) every this often; the previous ones verify until their tokens expire. */
  keyRotationMs: z.number().int().positive().default(24 * 3600_000),
  loginLimits: z
    .object({ perAccount: z.number().int().positive(), perAddress: z.number().int().positive(), windowMs: z.number().int().positive() })
    .default({ perAccount: 5, perAddress: 50, windowMs: 15 * 60_000 }),
}).refine((c) => c.headerTimeoutMs <= c.requestTimeoutMs, { path: ['headerTimeoutMs'], message: 'the header timeout must not exceed the request timeout' });

export type AppConfig = z.output<typeof appConfig>;
export type AppConfigInput = z.input<typeof appConfig>;

export interface AppDeps {
  log?: Logger;
  /** Traces requests and DynamoDB calls when given (`shoal app` always does); called with the server id. */
  tracing?: (server: string) => Tracing;
}
