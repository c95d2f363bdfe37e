import type { Fleet } from '../fleet/index.js';
import type { Logger } from '../lib/log.js';
import { poolsUsed, type PoolKind } from '../fuzzer/templates.js';
import { ElasticitySampler, type ElasticityResult } from './elasticity-sampler.js';
import { withAuthorization } from './authorization.js';
import { cleanupFixtures, prepareFixtures, type Fixtures } from './fixtures.js';
import { PartRun, type EndReason, type LoadPart, type PartOptions } from './part-run.js';
import { startProgress } from './progress.js';
import { Recorder } from './recorder.js';
import { constantRate, meanRate, peakRate, planDurationMs, plannedCount } from './schedule.js';
import { summarize, summarizePart, type Summary } from './summary.js';
import { startCannedServer, WARM_UP_FILE, WARM_UP_FROM_RATE } from './warm-up.js';

export type { LoadModel, LoadPart } from './part-run.js';

/** Everything a run needs, validated by the CLI (or built by a test). Times in ms. */
export interface LoadConfig extends PartOptions {
  /**
   * What to send and within which limits: one part for a version-1 tests file; one per
   * entry of the seed's legacy file, each with its own rate, connections and cap, all at once.
   */
  parts: LoadPart[];
  /** Create and delete our own users/playlists (and songs if none exist) for the placeholders. */
  setup: boolean;
  fleet?: Fleet;
  progress?: NodeJS.WriteStream;
  /** `Authorization` header value for every request and the fixture setup (`Bearer <token>`). */
  authorization?: string;
  /** Off for the warm-up run itself. */
  warmUp?: boolean;
  /** Called once the fixtures are made, the warm-up is over and the first request is due. */
  onStart?: () => void;
}

/** Long enough for V8 to optimize the send path. */
const WARM_UP_MS = 300;

const NO_FIXTURES: Fixtures = { pools: { song: [], user: [], playlist: [] }, created: [] };

const windowOf = (p: LoadPart) => (p.model.kind === 'open' ? planDurationMs(p.model.plan) : p.model.durationMs);

/** Runs one load test against a live target and returns its summary. */
export async function runLoad(cfg: LoadConfig, log: Logger): Promise<Summary> {
  const needs = new Set<PoolKind>();
  for (const p of cfg.parts) for (const k of poolsUsed(cfg.noWait ? { templates: p.file.templates, chains: [] } : p.file)) needs.add(k);
  const fixtures = cfg.setup && needs.size ? await prepareFixtures(cfg.target, needs, log, cfg.authorization) : NO_FIXTURES;
  const windowMs = Math.max(...cfg.parts.map(windowOf));
  const peak = cfg.parts.reduce((n, p) => n + (p.model.kind === 'open' ? peakRate(p.model.plan) : 0), 0);
  if (cfg.warmUp !== false && !cfg.noWait && peak >= WARM_UP_FROM_RATE) await warmUp(cfg, peak, log);
  const auth = cfg.authorization;
  const runs = cfg.parts.map((p) => new PartRun(auth ? { ...p, file: withAuthorization(p.file, auth) } : p, cfg, fixtures.pools));
  await Promise.all(runs.map((r) => r.connect()));
  const startedAt = Date.now();
  const t0 = performance.now();
  cfg.onStart?.();
  const ended = Promise.all(runs.map((r) => r.run(t0)));
  const recs = runs.map((r) => r.rec);
  const sampler = cfg.fleet ? new ElasticitySampler(cfg.fleet, (tMs) => runs.reduce((n, r) => n + r.offeredAt(tMs), 0), t0, log) : undefined;
  sampler?.start();
  const stopProgress = cfg.progress ? startProgress(recs, cfg.progress, windowMs) : () => {};
  let reasons: EndReason[];
  let elasticity: ElasticityResult | null = null;
  try {
    // the series ends with the sending: waiting for the last answers is no demand change
    await Promise.all(runs.map((r) => r.sendingOver));
    elasticity = (await sampler?.stop()) ?? null;
    reasons = await ended;
  } finally {
    stopProgress();
  }
  if (fixtures.created.length) await cleanupFixtures(cfg.target, fixtures, log, cfg.authorization);
  const open = cfg.parts.every((p) => p.model.kind === 'open');
  const first = cfg.parts[0]!;
  const summary = summarize(recs.length === 1 ? recs[0]! : Recorder.merge(recs), {
    target: cfg.target,
    model: first.model.kind,
    noWait: cfg.noWait,
    startedAt,
    durationMs: windowMs,
    targetRate: open ? cfg.parts.reduce((n, p) => n + (p.model.kind === 'open' ? meanRate(p.model.plan) : 0), 0) : null,
    planned: open ? cfg.parts.reduce((n, p) => n + (p.model.kind === 'open' ? plannedCount(p.model.plan) : 0), 0) : null,
    users: first.model.kind === 'closed' ? first.model.users : null,
    connections: cfg.parts.reduce((n, p) => n + p.connections, 0),
    maxRequests: cfg.parts.reduce((n, p) => n + p.maxRequests, 0),
    ended: runEnd(reasons),
    lateMs: cfg.lateMs,
    chains: runs.reduce((c, r) => ({ completed: c.completed + r.chains.completed, aborted: c.aborted + r.chains.aborted }), { completed: 0, aborted: 0 }),
    elasticity,
  });
  if (cfg.parts.some((p) => p.name !== undefined)) summary.parts = runs.map((r, i) => summarizePart(r.rec, r.part, reasons[i]!));
  return summary;
}

/**
 * Pure: why the whole run stopped. A signal stops it early; so does the request cap when
 * every part hit its own (one part capped while another ran its plan out is a full run,
 * and the per-entry report says which part stopped when).
 */
export function runEnd(reasons: readonly EndReason[]): EndReason {
  if (reasons.includes('interrupted')) return 'interrupted';
  return reasons.length > 0 && reasons.every((r) => r === 'request-cap') ? 'request-cap' : 'completed';
}

/**
 * The same run, briefly, against a canned in-process server (see warm-up.ts): the JIT
 * shares the optimized code of this module's functions and closures with the real run.
 */
async function warmUp(cfg: LoadConfig, rate: number, log: Logger): Promise<void> {
  const canned = await startCannedServer();
  try {
    const part: LoadPart = { file: WARM_UP_FILE, model: { kind: 'open', plan: constantRate(Math.min(rate, 50_000), WARM_UP_MS) }, connections: cfg.parts[0]!.connections, maxRequests: Number.MAX_SAFE_INTEGER };
    await runLoad({ ...cfg, parts: [part], target: canned.url, setup: false, fleet: undefined, signal: undefined, progress: undefined, warmUp: false }, log);
  } finally {
    await canned.close();
  }
}
