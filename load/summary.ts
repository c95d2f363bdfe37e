import type { Elasticity, ElasticitySample } from '../capacity/elasticity.js';
import type { TemplateClass } from '../fuzzer/templates.js';
import { curlLine } from './curl.js';
import { latencyStats, type LatencyStats } from './histogram.js';
import type { Recorder } from './recorder.js';
import type { ThresholdResult } from './thresholds.js';

/** What the run was asked to do and how it ended, beside the recorder's data. */
export interface RunMeta {
  target: string;
  model: 'open' | 'closed';
  noWait: boolean;
  startedAt: number;
  /** The measurement window: the plan's length (open) or the run's (closed). */
  durationMs: number;
  /** Mean planned arrivals/s (open model); null for the closed model. */
  targetRate: number | null;
  planned: number | null;
  users: number | null;
  connections: number;
  maxRequests: number;
  capped: boolean;
  lateMs: number;
  chains: { completed: number; aborted: number };
  elasticity: { targetRps: number; samples: ElasticitySample[]; metrics: Elasticity } | null;
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
  durationMs: number;
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
  chains: { completed: number; aborted: number };
  findings: Finding[];
  sockets: { peak: number } | null;
  lateMs: number;
  timeline: SecondSummary[];
  elasticity: (Elasticity & { targetRps: number; samples: number; series: ElasticitySample[] }) | null;
  /** Filled in after the run by evaluateThresholds. */
  thresholds: ThresholdResult[];
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const pct = (n: number, of: number) => (of > 0 ? round((100 * n) / of) : 0);
const sortedRecord = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));

/** Pure: the recorder's data and the run's facts → the summary every report shows. */
export function summarize(rec: Recorder, meta: RunMeta): Summary {
  const secs = meta.durationMs / 1000;
  const per = (n: number) => (secs > 0 ? round(n / secs) : 0);
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
      capped: meta.capped,
    },
    rate: {
      target: meta.targetRate === null ? null : round(meta.targetRate),
      achieved: rec.sent ? round(rec.sent / (Math.max(meta.durationMs, rec.lastSentAt) / 1000)) : 0,
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
    chains: meta.chains,
    findings,
    sockets: meta.noWait ? { peak: rec.maxSockets } : null,
    lateMs: meta.lateMs,
    timeline,
    elasticity: e ? { ...e.metrics, targetRps: e.targetRps, samples: e.samples.length, series: e.samples } : null,
    thresholds: [],
  };
}
