import type { Fleet } from '../fleet/index.js';
import type { Logger } from '../lib/log.js';
import { Prng } from '../fuzzer/prng.js';
import { poolsUsed, type TestsFile } from '../fuzzer/templates.js';
import { runClosedModel } from './closed-model.js';
import { ElasticitySampler } from './elasticity-sampler.js';
import { withAuthorization } from './authorization.js';
import { cleanupFixtures, prepareFixtures, type Fixtures } from './fixtures.js';
import { HttpSender, type Outcome } from './http/http-sender.js';
import { NoWaitSender } from './http/no-wait-sender.js';
import { runOpenModel } from './open-model.js';
import { startProgress } from './progress.js';
import { Recorder } from './recorder.js';
import { Unresolved, type Rendered } from './request.js';
import { constantRate, meanRate, peakRate, planDurationMs, plannedCount, type Segment } from './schedule.js';
import { summarize, type Summary } from './summary.js';
import { startCannedServer, WARM_UP_FILE, WARM_UP_FROM_RATE } from './warm-up.js';
import { wantsBody, Workload, type Job } from './workload.js';

export type LoadModel = { kind: 'open'; plan: Segment[] } | { kind: 'closed'; users: number; thinkMs: number; durationMs: number };

/** Everything a run needs, validated by the CLI (or built by a test). Times in ms. */
export interface LoadConfig {
  file: Pick<TestsFile, 'templates' | 'chains'>;
  /** Origin without a trailing slash, e.g. http://127.0.0.1:8080. */
  target: string;
  model: LoadModel;
  connections: number;
  timeoutMs: number;
  /** A send this much later than planned counts as missed (it still goes). */
  lateMs: number;
  /** Sends waiting for a connection beyond this many are dropped (and counted as missed). */
  maxQueue: number;
  maxRequests: number;
  noWait: boolean;
  maxSockets: number;
  holdMs: number;
  seed: number;
  /** Create and delete our own users/playlists (and songs if none exist) for the placeholders. */
  setup: boolean;
  fleet?: Fleet;
  signal?: AbortSignal;
  progress?: NodeJS.WriteStream;
  /** `Authorization` header value for every request and the fixture setup (`Bearer <token>`). */
  authorization?: string;
  /** Off for the warm-up run itself. */
  warmUp?: boolean;
}

/** Long enough for V8 to optimize the send path. */
const WARM_UP_MS = 300;

const NO_FIXTURES: Fixtures = { pools: { song: [], user: [], playlist: [] }, created: [] };

/** Runs one load test against a live target and returns its summary. */
export async function runLoad(cfg: LoadConfig, log: Logger): Promise<Summary> {
  const needs = poolsUsed(cfg.noWait ? { templates: cfg.file.templates, chains: [] } : cfg.file);
  const fixtures = cfg.setup && needs.size ? await prepareFixtures(cfg.target, needs, log, cfg.authorization) : NO_FIXTURES;
  const file = cfg.authorization ? withAuthorization(cfg.file, cfg.authorization) : cfg.file;
  const workload = new Workload(file, fixtures.pools, new Prng(cfg.seed), { chains: !cfg.noWait });
  const windowMs = cfg.model.kind === 'open' ? planDurationMs(cfg.model.plan) : cfg.model.durationMs;
  if (cfg.warmUp !== false && !cfg.noWait && cfg.model.kind === 'open' && peakRate(cfg.model.plan) >= WARM_UP_FROM_RATE) await warmUp(cfg, peakRate(cfg.model.plan), log);
  const sender = cfg.noWait ? undefined : new HttpSender(cfg.target, { connections: cfg.connections, timeoutMs: cfg.timeoutMs });
  await sender?.connect();
  const startedAt = Date.now();
  const t0 = performance.now();
  const rec = new Recorder(t0);
  const sampler = cfg.fleet ? new ElasticitySampler(cfg.fleet, () => rec.sent, t0, log) : undefined;
  sampler?.start();
  const stopProgress = cfg.progress ? startProgress(rec, cfg.progress, windowMs) : () => {};
  const noWait = cfg.noWait ? new NoWaitSender(cfg.target, cfg.maxSockets, cfg.holdMs) : undefined;
  /** The open model's pump, run after every answer. */
  let pump: (() => void) | undefined;
  // `at`: now, in ms since t0, as the caller already knows it
  const send = (job: Job, rendered: Rendered, plannedAt: number, at: number, then?: (o: Outcome) => void) => {
    rec.sentOne(at, false);
    sender!.send(rendered, wantsBody(job), (o) => {
      rec.outcome(job.req, rendered, plannedAt, o, cfg.lateMs);
      if (then) then(o);
      pump?.();
    });
  };
  const renderOrSkip = (job: Job): Rendered | undefined => {
    try {
      return workload.render(job);
    } catch (err) {
      if (!(err instanceof Unresolved)) throw err;
      rec.unresolved++;
      if (job.run) workload.abort();
      return undefined;
    }
  };

  let capped = false;
  try {
    if (cfg.model.kind === 'open') {
      const open = runOpenModel(
        cfg.model.plan,
        { maxRequests: cfg.maxRequests, lagBoundMs: Math.max(1000, cfg.lateMs), signal: cfg.signal },
        {
          t0,
          admits: () => (noWait ? noWait.admits() : sender!.inflight < cfg.connections + cfg.maxQueue),
          drop: (plannedAt) => rec.dropped(plannedAt),
          issue: (plannedAt, now) => {
            const job = workload.next();
            if (!job) return rec.dropped(plannedAt);
            const rendered = renderOrSkip(job);
            if (!rendered) return;
            if (noWait) {
              rec.sentOne(now, now - plannedAt > cfg.lateMs);
              noWait.send(rendered);
              rec.maxSockets = noWait.peak;
            } else send(job, rendered, plannedAt, now, job.run && ((o) => workload.advance(job.run!, o, { queue: true })));
          },
        },
      );
      pump = open.pump;
      capped = (await open.result).capped;
    } else {
      const res = await runClosedModel({ ...cfg.model, maxRequests: cfg.maxRequests, signal: cfg.signal }, t0, (take, done) => {
        const step = (job: Job | undefined): void => {
          if (!job) return done();
          if (!take()) {
            if (job.run) workload.park(job.run);
            return done();
          }
          const plannedAt = performance.now() - t0;
          const rendered = renderOrSkip(job);
          if (!rendered) return done();
          const run = job.run;
          if (!run) return send(job, rendered, plannedAt, plannedAt, done);
          send(job, rendered, plannedAt, plannedAt, (o) => step(workload.advance(run, o, { queue: false }) ? { req: run.steps[run.step]!, run } : undefined));
        };
        step(workload.nextUnit());
      });
      capped = res.capped;
    }
    if (sender) {
      await drain(sender, cfg.timeoutMs + 1000);
      await finishChains(workload, sender);
    }
  } finally {
    rec.bytesSent = sender?.bytesSent ?? noWait?.bytesSent ?? 0;
    stopProgress();
    sender?.destroy();
    await noWait?.close();
  }
  const elasticity = (await sampler?.stop()) ?? null;
  if (fixtures.created.length) await cleanupFixtures(cfg.target, fixtures, log, cfg.authorization);
  return summarize(rec, {
    target: cfg.target,
    model: cfg.model.kind,
    noWait: cfg.noWait,
    startedAt,
    durationMs: windowMs,
    targetRate: cfg.model.kind === 'open' ? meanRate(cfg.model.plan) : null,
    planned: cfg.model.kind === 'open' ? plannedCount(cfg.model.plan) : null,
    users: cfg.model.kind === 'closed' ? cfg.model.users : null,
    connections: cfg.connections,
    maxRequests: cfg.maxRequests,
    capped,
    lateMs: cfg.lateMs,
    chains: { completed: workload.chainsCompleted, aborted: workload.chainsAborted },
    elasticity,
  });
}

/**
 * The same run, briefly, against a canned in-process server (see warm-up.ts): the JIT
 * shares the optimized code of this module's functions and closures with the real run.
 */
async function warmUp(cfg: LoadConfig, rate: number, log: Logger): Promise<void> {
  const canned = await startCannedServer();
  try {
    const plan = constantRate(Math.min(rate, 50_000), WARM_UP_MS);
    await runLoad({ ...cfg, file: WARM_UP_FILE, target: canned.url, model: { kind: 'open', plan }, maxRequests: Number.MAX_SAFE_INTEGER, setup: false, fleet: undefined, signal: undefined, progress: undefined, warmUp: false }, log);
  } finally {
    await canned.close();
  }
}

async function drain(sender: HttpSender, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (sender.inflight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Chains cut off by the clock still delete what they created: their remaining DELETE
 * steps run now, outside the measurement.
 */
async function finishChains(workload: Workload, sender: HttpSender): Promise<void> {
  for (const run of workload.unfinished()) {
    for (let i = run.step; i < run.steps.length; i++) {
      if (run.steps[i]!.method !== 'DELETE') continue;
      let rendered: Rendered;
      try {
        rendered = workload.render({ req: run.steps[i]!, run });
      } catch {
        continue;
      }
      await new Promise<void>((resolve) => sender.send(rendered, false, () => resolve()));
    }
  }
}
