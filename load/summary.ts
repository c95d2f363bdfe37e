import type { Elasticity } from '../capacity/elasticity.js';
import type { TemplateClass } from '../fuzzer/templates.js';
import { curlLine } from './curl.js';
import type { ElasticityResult, LoadSample } from './elasticity-sampler.js';
import { latencyStats, type LatencyStats } from './histogram.js';
import type { EndReason, LoadPart } from './part-run.js';
import { phaseLatency, scalingPhases, type PhaseLatency } from './phases.js';
import type { Recorder, TemplateRecord } from './recorder.js';
import { meanRate, plannedCount } from './schedule.js';
import type { ThresholdResult } from './thresholds.js';

/** What the run was asked to do and how it ended, beside the recorder's data. */
export interface RunMeta {
  target: string;
  model: 'open' | 'closed';
  noWait: boolean;
  startedAt: number;
  /** The planned window: the plan's length (open) or --duration (closed). Rates use the measured span instead. */
  durationMs: number;
  /** Mean planned arrivals/s (open model); null for the closed model. */
  targetRate: number | null;
  planned: number | null;
  users: number | null;
  connections: number;
  maxRequests: number;
  ended: EndReason;
  lateMs: number;
  chains: { completed: number; aborted: number };
  elasticity: ElasticityResult | null;
}

/** How a run (or one part of it) ended. */
export interface Ending {
  reason: EndReason;
  /** It stopped before its planned window was over (the request cap, or a signal). */
  early: boolean;
}

/** One entry of a legacy file, run as its own test: its limits and what it did. Rates over its own measured span. */
export interface PartSummary {
  name: string;
  /** Planned arrivals/s; null for a closed-model part. */
  targetRate: number | null;
  connections: number;
  maxRequests: number;
  planned: number | null;
  total: number;
  ok: number;
  errors: number;
  missed: number;
  measuredMs: number;
  achieved: number;
  okPerSecond: number;
  ended: Ending;
  latency: { p50: number; p99: number };
}

export interface Finding {
  template: string;
  name: string;
  class: TemplateClass;
  status: number;
  count: number;
  method: string;
  path: string;
  curl: string;
}

export interface ClassSummary {
  total: number;
  ok: number;
  errors: number;
  percentOk: number;
  latency: LatencyStats;
}

/** One template or chain step's share of the run; the rows add up to the run's answered requests. */
export interface TemplateSummary extends Pick<TemplateRecord, 'id' | 'name' | 'class' | 'method' | 'route' | 'total' | 'ok' | 'errors'> {
  /** Answers that took 100 ms or more from their planned send: this template's part of the tail. */
  over100ms: number;
  percentUnder100ms: number;
  /** Corrected latency, ms. */
  latency: { p50: number; p90: number; p99: number; max: number };
}

export interface SecondSummary {
  t: number;
  sent: number;
  ok: number;
  errors: number;
  missed: number;
  p50: number;
  p99: number;
  rawP99: number;
}

/** The machine summary (`--json`); the text and HTML reports render exactly this. Times in ms. */
export interface Summary {
  version: 1;
  target: string;
  model: 'open' | 'closed';
  noWait: boolean;
  startedAt: string;
  /** The planned window. */
  durationMs: number;
  /** The measured span every rate is over: the first planned send to the last answer (or send). */
  measuredMs: number;
  ended: Ending;
  users: number | null;
  connections: number;
  requests: {
    total: number;
    ok: number;
    errors: number;
    planned: number | null;
    missed: number;
    missedLate: number;
    missedDropped: number;
    unresolved: number;
    maxRequests: number;
    capped: boolean;
  };
  rate: { target: number | null; achieved: number; perMinute: number; okPerSecond: number; errorsPerSecond: number };
  /** Request bytes written and response bytes read (head and body). */
  bytes: { sent: number; received: number };
  latency: { corrected: LatencyStats; raw: LatencyStats };
  percentUnder100ms: number;
  percentUnder100msRaw: number;
  statuses: Record<string, number>;
  errors: { byStatus: Record<string, number>; byClass: Record<string, Record<string, number>> };
  classes: Partial<Record<TemplateClass, ClassSummary>>;
  /** Per template and chain step, most answers over 100 ms first (then the highest p99). */
  templates: TemplateSummary[];
  chains: { completed: number; aborted: number };
  findings: Finding[];
  sockets: { peak: number } | null;
  lateMs: number;
  timeline: SecondSummary[];
  elasticity: (Elasticity & { targetRps: number; definition: string; samples: number; series: LoadSample[] }) | null;
  /** Corrected latency before, during and after the fleet scaled (load/phases.ts); empty when it did not. */
  phases: PhaseLatency[];
  /** Per entry of a legacy file (each its own test); null for a one-part run. */
  parts: PartSummary[] | null;
  /** Filled in after the run by evaluateThresholds. */
  thresholds: ThresholdResult[];
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const pct = (n: number, of: number) => (of > 0 ? round((100 * n) / of) : 0);
const sortedRecord = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));

/** The measured span in ms: the first planned send (sent or dropped) to the last answer, or the last send if later. */
function measuredSpanMs(rec: Pick<Recorder, 'firstPlannedAt' | 'lastSentAt' | 'lastAnsweredAt'>): number {
  if (!Number.isFinite(rec.firstPlannedAt)) return 0;
  return Math.max(0, Math.max(rec.lastSentAt, rec.lastAnsweredAt) - rec.firstPlannedAt);
}

const perSecond = (spanMs: number) => (n: number) => (spanMs > 0 ? round(n / (spanMs / 1000)) : 0);
const ending = (reason: EndReason): Ending => ({ reason, early: reason !== 'completed' });

/** Pure: one part's recorder and limits → its line of the per-entry report. */
export function summarizePart(rec: Recorder, part: LoadPart, reason: EndReason): PartSummary {
  const spanMs = measuredSpanMs(rec);
  const per = perSecond(spanMs);
  const open = part.model.kind === 'open' ? part.model.plan : null;
  const lat = latencyStats(rec.corrected);
  return {
    name: part.name ?? '',
    targetRate: open ? round(meanRate(open)) : null,
    connections: part.connections,
    maxRequests: part.maxRequests,
    planned: open ? plannedCount(open) : null,
    total: rec.sent,
    ok: rec.ok,
    errors: rec.errors,
    missed: rec.missedLate + rec.missedDropped,
    measuredMs: round(spanMs, 1),
    achieved: per(rec.sent),
    okPerSecond: per(rec.ok),
    ended: ending(reason),
    latency: { p50: lat.p50, p99: lat.p99 },
  };
}

/** Pure: each template's corrected latency, the ones holding most of the tail first. */
export function templateRows(rec: Pick<Recorder, 'templates'>): TemplateSummary[] {
  return [...rec.templates.values()]
    .map((x) => {
      const l = latencyStats(x.corrected);
      return { id: x.id, name: x.name, class: x.class, method: x.method, route: x.route, total: x.total, ok: x.ok, errors: x.errors, over100ms: x.total - x.under100, percentUnder100ms: pct(x.under100, x.total), latency: { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max } };
    })
    .sort((a, b) => b.over100ms - a.over100ms || b.latency.p99 - a.latency.p99 || a.id.localeCompare(b.id));
}

/** Pure: the recorder's data and the run's facts → the summary every report shows. */
export function summarize(rec: Recorder, meta: RunMeta): Summary {
  const spanMs = measuredSpanMs(rec);
  const per = perSecond(spanMs);
  const byStatus = new Map<string, number>();
  const byClass: Record<string, Record<string, number>> = {};
  for (const [key, n] of rec.errorsByClass) {
    const [cls, status] = key.split(' ') as [string, string];
    byStatus.set(status, (byStatus.get(status) ?? 0) + n);
    (byClass[cls] ??= {})[status] = n;
  }
  const classes: Summary['classes'] = {};
  for (const cls of ['valid', 'invalid'] as const) {
    const c = rec.classes.get(cls);
    if (c) classes[cls] = { total: c.total, ok: c.ok, errors: c.errors, percentOk: pct(c.ok, c.total), latency: latencyStats(c.corrected) };
  }
  const findings = [...rec.findings.values()]
    .sort((a, b) => b.count - a.count || a.id.localeCompare(b.id))
    .map((f) => ({ template: f.id, name: f.name, class: f.class, status: f.status, count: f.count, method: f.example.method, path: f.example.path, curl: curlLine(meta.target, f.example) }));
  const timeline = rec.seconds.map((s, t) => ({
    t,
    sent: s.sent,
    ok: s.ok,
    errors: s.errors,
    missed: s.missed,
    p50: s.corrected.totalCount ? round(s.corrected.getValueAtPercentile(50) / 1000, 3) : 0,
    p99: s.corrected.totalCount ? round(s.corrected.getValueAtPercentile(99) / 1000, 3) : 0,
    rawP99: s.raw.totalCount ? round(s.raw.getValueAtPercentile(99) / 1000, 3) : 0,
  }));
  const e = meta.elasticity;
  return {
    version: 1,
    target: meta.target,
    model: meta.model,
    noWait: meta.noWait,
    startedAt: new Date(meta.startedAt).toISOString(),
    durationMs: meta.durationMs,
    measuredMs: round(spanMs, 1),
    ended: ending(meta.ended),
    users: meta.users,
    connections: meta.connections,
    requests: {
      total: rec.sent,
      ok: rec.ok,
      errors: rec.errors,
      planned: meta.planned,
      missed: rec.missedLate + rec.missedDropped,
      missedLate: rec.missedLate,
      missedDropped: rec.missedDropped,
      unresolved: rec.unresolved,
      maxRequests: meta.maxRequests,
      capped: meta.ended === 'request-cap',
    },
    rate: {
      target: meta.targetRate === null ? null : round(meta.targetRate),
      achieved: per(rec.sent),
      perMinute: round(per(rec.sent) * 60, 0),
      okPerSecond: per(rec.ok),
      errorsPerSecond: per(rec.errors),
    },
    bytes: { sent: rec.bytesSent, received: rec.bytesReceived },
    latency: { corrected: latencyStats(rec.corrected), raw: latencyStats(rec.raw) },
    percentUnder100ms: pct(rec.under100Corrected, rec.completed),
    percentUnder100msRaw: pct(rec.under100Raw, rec.completed),
    statuses: sortedRecord(rec.statuses),
    errors: { byStatus: sortedRecord(byStatus), byClass },
    classes,
    templates: templateRows(rec),
    chains: meta.chains,
    findings,
    sockets: meta.noWait ? { peak: rec.maxSockets } : null,
    lateMs: meta.lateMs,
    timeline,
    elasticity: e ? { ...e.metrics, targetRps: e.targetRps, definition: e.definition, samples: e.samples.length, series: e.samples } : null,
    phases: e ? phaseLatency(scalingPhases(e.samples, rec.seconds.length), rec.seconds) : [],
    parts: null,
    thresholds: [],
  };
}
