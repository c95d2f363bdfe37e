import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../lib/duration.js';
import { ConfigError } from '../lib/errors.js';

/** "5s", "250ms", 1500 → ms. */
const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v : parseDuration(v);
  if (ms === undefined || ms < 0) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration like 500ms, 5s or 2m' });
    return z.NEVER;
  }
  return ms;
});
const percent = z.number().min(0).max(100);
/** Which app server an action aims at: `random`, a server id, or host:port. */
const target = z.string().min(1).default('random');

/** What the load sends: `GET /path` lines, or a tests file urlfuzzer wrote (relative to the experiment). */
const LoadSpec = z
  .object({
    rate: z.number().positive().max(50_000),
    connections: z.number().int().min(1).max(10_000).default(16),
    requests: z.array(z.string().regex(/^(GET|HEAD) \/\S*$/, { message: 'expected "GET /path" (reads only: a retried read is safe)' })).min(1).optional(),
    tests: z.string().min(1).optional(),
    /** The seed's chaos monkey mode: a socket per request, answers not read. */
    no_wait: z.boolean().default(false),
    max_sockets: z.number().int().min(1).max(100_000).default(256),
    hold: duration.default(10_000),
    timeout: duration.default(5_000),
    /** How long the load runs once the method starts (the method, then recovery); default: the method's pauses + 5 s. */
    duration: duration.optional(),
  })
  .strict()
  .refine((l) => !!l.requests !== !!l.tests, { message: 'give either requests or tests', path: ['requests'] });

const Probe = z.discriminatedUnion('type', [
  z.object({ type: z.literal('success-rate'), min_percent: percent }).strict(),
  z.object({ type: z.literal('p95'), max_ms: z.number().positive() }).strict(),
  /** With `within`, the fleet may take that long after the method to get back to `min` (a replacement booting). */
  z.object({ type: z.literal('ready-servers'), min: z.number().int().min(0), within: duration.default(0) }).strict(),
  /** Another client is still served (a request through the proxy, on a connection of its own, answers in time). */
  z.object({ type: z.literal('http'), path: z.string().startsWith('/'), status: z.number().int().min(100).max(599).default(200), timeout: duration.default(2000) }).strict(),
  /** The proxy's resident memory (the flood experiment: sockets held open must not grow it without bound). */
  z.object({ type: z.literal('proxy-rss'), max_mb: z.number().positive() }).strict(),
  /** A write to the fleet's Redis succeeds (through Sentinel when the stack has it). */
  z.object({ type: z.literal('redis-write') }).strict(),
]);
export type Probe = z.infer<typeof Probe>;

const Action = z.discriminatedUnion('action', [
  z.object({ action: z.literal('kill-server'), target, count: z.number().int().min(1).default(1) }).strict(),
  z.object({ action: z.literal('zone-loss'), zone: z.string().min(1) }).strict(),
  /** Every request burns `request_cost` of CPU on the server: a CPU-starved server (capacity 1000 / cost req/s). */
  z.object({ action: z.literal('cpu-hog'), target, request_cost: duration.default(50), duration }).strict(),
  /** A leak of `mb` MiB; past `limit_mb` RSS the server is killed, as a container's OOM killer would. */
  z.object({ action: z.literal('memory-hog'), target, mb: z.number().int().min(1).max(16_384), limit_mb: z.number().int().min(16).optional(), duration }).strict(),
  z
    .object({
      action: z.literal('http-fault'),
      at: z.enum(['server', 'proxy']),
      target,
      delay: duration.default(0),
      abort_status: z.number().int().min(400).max(599).optional(),
      percent: percent.default(100),
      duration: duration.default(300_000),
    })
    .strict()
    .refine((a) => a.delay > 0 || a.abort_status !== undefined, { message: 'give delay, abort_status or both', path: ['delay'] }),
  z.object({ action: z.literal('clear-faults') }).strict(),
  z.object({ action: z.literal('pin-autoscaler') }).strict(),
  z.object({ action: z.literal('unpin-autoscaler') }).strict(),
  z.object({ action: z.literal('kill-redis-primary') }).strict(),
]);
export type Action = z.infer<typeof Action>;

const Pause = z.object({ pause: duration }).strict();
const Step = z.union([Pause, Action]);
export type Step = z.infer<typeof Step>;

export const ExperimentSchema = z
  .object({
    version: z.literal(1),
    title: z.string().min(1),
    description: z.string().default(''),
    /** Free-form labels, as Chaos Toolkit's `tags`. */
    tags: z.array(z.string()).default([]),
    load: LoadSpec,
    steady_state: z
      .object({
        /** Load before the method: the steady state must hold over this window first. */
        warmup: duration.default(5000),
        probes: z.array(Probe).min(1),
      })
      .strict(),
    method: z.array(Step).min(1),
    rollbacks: z.array(Action).default([]),
  })
  .strict();
export type Experiment = z.infer<typeof ExperimentSchema>;

export const isPause = (s: Step): s is z.infer<typeof Pause> => 'pause' in s;

/** Pure: how long the load runs once the method starts. */
export function experimentWindowMs(e: Experiment): number {
  const pauses = e.method.reduce((n, s) => n + (isPause(s) ? s.pause : 0), 0);
  return e.load.duration ?? pauses + 5000;
}

/** "method[1].abort_status" from a zod path. */
function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');
}

/** Pure: text (YAML or JSON) → a checked experiment; a bad one throws a ConfigError naming the field. */
export function parseExperiment(text: string, name: string): Experiment {
  let raw: unknown;
  try {
    raw = extname(name) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`invalid experiment ${name}: not ${extname(name) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  const res = ExperimentSchema.safeParse(raw);
  if (res.success) return res.data;
  const issue = res.error.issues[0]!;
  const field = fieldName(issue.path) || '(top level)';
  throw new ConfigError(`invalid experiment ${name}: ${field}: ${issue.message}`);
}

export async function readExperiment(path: string): Promise<Experiment> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`invalid experiment file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseExperiment(text, path);
}
