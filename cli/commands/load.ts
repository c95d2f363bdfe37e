import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { connectRedis, Fleet, type Redis } from '../../fleet/index.js';
import type { LoadModel, LoadPart } from '../../load/run.js';
import { CONNECTION_LATENCY_MS, constantRate, openModelConnections, parseStages, plannedCount, truncatePlan } from '../../load/schedule.js';
import { evaluateThresholds, parseThreshold, type Threshold } from '../../load/thresholds.js';
import type { EntryLimits, RunHints, TestsFile } from '../../fuzzer/templates.js';
import { readTestsFile } from '../../fuzzer/tests-file.js';
import { parseDuration } from '../../lib/duration.js';
import { ConfigError, ShoalError } from '../../lib/errors.js';
import { createLogger } from '../../lib/log.js';
import { isLoopbackHost } from '../../lib/loopback.js';
import { redact } from '../../lib/redact.js';
import { duration, opt, parseOptions, positiveInt, positiveNumber, redisUrl } from '../options.js';
import { action } from '../run.js';
import { readStack, stackPath } from '../stack/stack-file.js';

const Schema = z.object({
  tests: z.string({ message: 'is required: the file urlfuzzer wrote (generatedTests.json)' }).min(1),
  target: z.string().refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), { message: 'expected http://host:port or https://…' }).optional(),
  rate: positiveNumber.optional(),
  stages: z.string().optional(),
  users: positiveInt.optional(),
  think: duration.default(0),
  duration: duration.optional(),
  connections: positiveInt.max(10_000, { message: 'expected at most 10000' }).optional(),
  timeout: duration.default(10_000),
  late: duration.default(100),
  maxQueue: z.coerce.number({ message: 'expected a number' }).int({ message: 'expected a whole number' }).min(0, { message: 'expected a whole number ≥ 0' }).default(10_000),
  maxRequests: positiveInt.optional(),
  wait: z.boolean().default(true),
  maxSockets: positiveInt.max(100_000, { message: 'expected at most 100000' }).default(256),
  hold: duration.default(10_000),
  seed: z.coerce.number({ message: 'expected a whole number' }).int({ message: 'expected a whole number' }).min(0, { message: 'expected a whole number ≥ 0' }).optional(),
  json: z.string().min(1).optional(),
  html: z.string().min(1).optional(),
  threshold: z.array(z.string()).default([]),
  redis: redisUrl.optional(),
  prefix: z.string().min(1).optional(),
  dataDir: z.string().min(1).optional(),
  allowRemote: z.boolean().default(false),
  user: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
});
type Options = z.infer<typeof Schema>;

const DEFAULT_DURATION_MS = 30_000;

/** The Redis, prefix and proxy of the stack `shoal up` recorded in the data dir. */
async function readStackFile(dataDir: string): Promise<{ redisUrl: string; prefix: string; proxyUrl?: string; login?: { email: string; password: string } }> {
  const stack = await readStack(dataDir);
  if (!stack) throw new ConfigError(`invalid --data-dir: no running stack recorded at ${stackPath(dataDir)}; is shoal up running?`);
  return { redisUrl: stack.redis.url, prefix: stack.prefix, proxyUrl: stack.proxy?.url, login: stack.auth && { email: stack.auth.email, password: stack.auth.password } };
}

/** The Authorization value to load with: --token, else a login (--user/--password, else the stack's demo user), else none. */
async function authorization(o: Options, target: string, stackLogin: { email: string; password: string } | undefined): Promise<string | undefined> {
  if (o.token) return `Bearer ${o.token}`;
  if (!!o.user !== !!o.password) throw new ConfigError(`invalid ${o.user ? '--password (SHOAL_PASSWORD)' : '--user (SHOAL_USER)'}: --user and --password go together`);
  const login = o.user && o.password ? { email: o.user, password: o.password } : stackLogin;
  if (!login) return undefined;
  const { logIn } = await import('../../load/authorization.js');
  return logIn(target, login.email, login.password);
}

function buildModel(o: Options): LoadModel {
  if (o.users !== undefined) {
    if (o.rate !== undefined || o.stages !== undefined) throw new ConfigError('invalid --users: the closed model (--users) takes no --rate or --stages');
    if (!o.wait) throw new ConfigError('invalid --no-wait: the closed model waits for answers by definition; use --rate');
    const d = o.duration ?? DEFAULT_DURATION_MS;
    return { kind: 'closed', users: o.users, thinkMs: o.think, durationMs: d };
  }
  if (o.rate !== undefined && o.stages !== undefined) throw new ConfigError('invalid --stages: give --rate or --stages, not both');
  let plan;
  if (o.stages !== undefined) {
    try {
      plan = parseStages(o.stages, parseDuration);
    } catch (err) {
      throw new ConfigError(`invalid --stages: ${(err as Error).message}`);
    }
    if (o.duration !== undefined) plan = truncatePlan(plan, o.duration);
  } else {
    if (o.rate === undefined) throw new ConfigError('invalid --rate: give --rate R (arrivals/s), --stages or --users N');
    plan = constantRate(o.rate, o.duration ?? DEFAULT_DURATION_MS);
  }
  return { kind: 'open', plan };
}

/** The default request cap: the plan with 10 % to spare, or 1000/s per closed-model user. */
function defaultCap(model: LoadModel): number {
  const planned = model.kind === 'open' ? plannedCount(model.plan) : Math.ceil(model.users * (model.durationMs / 1000) * 1000);
  return Math.ceil(planned * 1.1) + 1000;
}

/**
 * A legacy entry run as its own test, as its npm `loadtest` options mean: its rate (or, without
 * one, its clients as fast as they go), its concurrency, its request cap and seconds. Flags
 * given on the command line override the entry's own value.
 */
function entryPart(o: Options, file: TestsFile, e: EntryLimits): LoadPart {
  const template = file.templates.find((t) => t.id === e.templateId)!;
  const durationMs = o.duration ?? e.durationMs ?? DEFAULT_DURATION_MS;
  const connections = o.connections ?? e.connections ?? 1;
  const model: LoadModel = e.rate !== undefined ? { kind: 'open', plan: constantRate(e.rate, durationMs) } : { kind: 'closed', users: connections, thinkMs: 0, durationMs };
  return { name: template.name, file: { templates: [template], chains: [] }, model, connections, maxRequests: o.maxRequests ?? e.maxRequests ?? defaultCap(model) };
}

/** One part for a tests file (or a legacy file under --rate/--stages/--users), or one per legacy entry. */
function buildParts(o: Options, file: TestsFile, hints: RunHints): LoadPart[] {
  if (hints.entries && o.rate === undefined && o.stages === undefined && o.users === undefined) return hints.entries.map((e) => entryPart(o, file, e));
  const model = buildModel(o);
  const connections = o.connections ?? (model.kind === 'closed' ? model.users : (hints.connections ?? openModelConnections(model.plan)));
  return [{ file, model, connections, maxRequests: o.maxRequests ?? hints.maxRequests ?? defaultCap(model) }];
}

export function registerLoad(program: Command): void {
  const cmd = program
    .command('load')
    .description('the chaos monkey: replay a tests file at a planned rate (open model) or with concurrent users (closed model) and report')
    .addOption(opt('--tests <file>', 'tests file from urlfuzzer (version 1), or the seed system\'s array format (each entry runs as its own test unless --rate/--stages/--users mix them)', 'SHOAL_LOAD_TESTS'))
    .addOption(opt('--target <url>', 'base URL to load (default: the tests file\'s target)'))
    .addOption(opt('--rate <n>', 'open model: arrivals per second'))
    .addOption(opt('--stages <list>', 'open model: DURATION:RATE or DURATION:FROM-TO, comma-separated (e.g. 30s:100,60s:100-500,30s:0)'))
    .addOption(opt('--users <n>', 'closed model: concurrent users, each waiting for its answer'))
    .addOption(opt('--think <duration>', 'closed model: pause between a user\'s requests').default('0s'))
    .addOption(opt('--duration <duration>', 'how long to send (default 30s, or the sum of --stages)'))
    .addOption(opt('--connections <n>', `keep-alive connections (default: the peak rate × ${CONNECTION_LATENCY_MS} ms, at least 16; --users N for the closed model; a legacy entry's concurrency)`))
    .addOption(opt('--timeout <duration>', 'per-request timeout').default('10s'))
    .addOption(opt('--late <duration>', 'a send that reaches a socket later than this after its plan is a missed send').default('100ms'))
    .addOption(opt('--max-queue <n>', 'sends waiting for a busy connection beyond this are dropped (missed)').default('10000'))
    .addOption(opt('--max-requests <n>', "request cap (default planned × 1.1 + 1000; a legacy entry's maxRequests)"))
    .option('--no-wait', 'fire and do not read answers, one socket per request (bounded by --max-sockets)')
    .addOption(opt('--max-sockets <n>', '--no-wait: sockets open at once').default('256'))
    .addOption(opt('--hold <duration>', '--no-wait: how long each socket is held open').default('10s'))
    .addOption(opt('--seed <n>', 'PRNG seed for template choice (default: the tests file\'s seed)'))
    .addOption(opt('--json <file>', 'write the machine summary here'))
    .addOption(opt('--html <file>', 'write a self-contained HTML report with charts here'))
    .option('--threshold <expr>', "exit 1 when violated, e.g. 'p99<200ms', 'errors<1%' (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
    .addOption(opt('--redis <url>', 'elasticity: Redis of the shoal fleet under test'))
    .addOption(opt('--prefix <prefix>', 'elasticity: Redis key prefix (default shoal: or the stack\'s)', 'SHOAL_PREFIX'))
    .addOption(opt('--data-dir <dir>', 'elasticity: read Redis (and the default target) from DIR/stack.json written by shoal up'))
    .option('--allow-remote', 'allow a target that is not this machine')
    .addOption(opt('--user <email>', 'log in as this user first (writes need a token); default: the demo user in --data-dir', 'SHOAL_USER'))
    .addOption(opt('--password <password>', 'password for --user (prefer the env variable: argv is visible to others)', 'SHOAL_PASSWORD'))
    .addOption(opt('--token <token>', 'a bearer token to send instead of logging in', 'SHOAL_TOKEN'));
  cmd.action(
    action(async () => {
      const o = parseOptions(cmd, Schema);
      // The load engine loads only when this command runs, so every other shoal process stays lean.
      const { runLoad } = await import('../../load/run.js');
      const { renderHtml } = await import('../../load/html-report.js');
      const { renderText } = await import('../../load/text-report.js');
      let thresholds: Threshold[];
      try {
        thresholds = o.threshold.map(parseThreshold);
      } catch (err) {
        throw new ConfigError(`invalid --threshold: ${(err as Error).message}`);
      }
      const stack = o.dataDir ? await readStackFile(o.dataDir) : undefined;
      const { file, hints } = await readTestsFile(o.tests);
      const target = (o.target ?? (o.dataDir && stack?.proxyUrl) ?? file.target).replace(/\/+$/, '');
      const url = new URL(target);
      if (!/^https?:$/.test(url.protocol)) throw new ConfigError(`invalid --target: ${target} is not http(s)`);
      if (!isLoopbackHost(url.hostname) && !o.allowRemote) {
        throw new ConfigError(`invalid --target: refusing to load ${url.host}, which is not this machine; pass --allow-remote for a target you own`);
      }
      const parts = buildParts(o, file, hints);
      const redisUrlToUse = o.redis ?? stack?.redisUrl;
      if (o.dataDir && !redisUrlToUse) throw new ConfigError(`invalid --data-dir: ${o.dataDir}/stack.json names no Redis URL`);
      const log = createLogger('load');
      // The stack's demo login is for the stack's own proxy only.
      const auth = await authorization(o, target, target === stack?.proxyUrl ? stack.login : undefined);
      let redis: Redis | undefined;
      let fleet: Fleet | undefined;
      if (redisUrlToUse) {
        redis = connectRedis(redisUrlToUse, { name: 'shoal-load' });
        await redis.ping().catch((err: Error) => {
          redis?.disconnect();
          throw new ShoalError('SHOAL_ERR_REDIS_UNREACHABLE', `cannot reach Redis at ${redact(redisUrlToUse)}: ${redact(err.message)}`, 503);
        });
        fleet = new Fleet(redis, o.prefix ?? stack?.prefix ?? 'shoal:');
      }
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const summary = await runLoad(
          {
            parts,
            target,
            timeoutMs: o.timeout,
            lateMs: o.late,
            maxQueue: o.maxQueue,
            noWait: !o.wait,
            maxSockets: o.maxSockets,
            holdMs: o.hold,
            seed: o.seed ?? file.seed,
            setup: true,
            authorization: auth,
            fleet,
            signal: abort.signal,
            progress: process.stderr,
          },
          log,
        );
        summary.thresholds = evaluateThresholds(thresholds, summary);
        process.stdout.write(renderText(summary));
        if (o.json) await writeFile(o.json, JSON.stringify(summary, null, 2) + '\n');
        if (o.html) await writeFile(o.html, renderHtml(summary));
        if (summary.thresholds.some((t) => !t.ok)) process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        redis?.disconnect();
      }
    }),
  );
}
