import type { LatencyStats } from './histogram.js';
import type { Summary } from './summary.js';

/**
 * `--threshold 'p99<200ms'`, `'errors<1%'`, `'rate>=490'`: a metric, a comparison and a
 * bound. Latency metrics are the corrected ones unless prefixed `raw.`; `errors` and
 * `missed` are counts, or shares of all requests with `%`.
 */
export interface Threshold {
  expr: string;
  metric: string;
  op: '<' | '<=' | '>' | '>=';
  value: number;
  /** How the bound reads: 'ms', '%', or '' for a plain number. */
  unit: 'ms' | '%' | '';
}

export interface ThresholdResult extends Threshold {
  actual: number;
  ok: boolean;
}

const LATENCY: Record<string, keyof LatencyStats> = { min: 'min', mean: 'mean', median: 'p50', p50: 'p50', p90: 'p90', p95: 'p95', p99: 'p99', 'p99.9': 'p999', p999: 'p999', max: 'max' };
const COUNTS = ['errors', 'missed', 'findings'];
const PLAIN = ['rate', 'under100ms'];

export const THRESHOLD_METRICS = [...Object.keys(LATENCY), ...Object.keys(LATENCY).map((k) => `raw.${k}`), ...COUNTS, ...PLAIN];

/** Parses one threshold; throws an Error whose message says what is wrong (the CLI exits 2). */
export function parseThreshold(expr: string): Threshold {
  const m = /^\s*([a-z][a-z0-9.]*)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*(ms|s|%)?\s*$/i.exec(expr);
  if (!m) throw new Error(`bad threshold "${expr}": expected METRIC<VALUE like p99<200ms, errors<1% or rate>=95`);
  const metric = m[1]!.toLowerCase();
  const unitText = (m[4] ?? '').toLowerCase();
  let value = Number(m[3]);
  const latency = LATENCY[metric.replace(/^raw\./, '')] !== undefined;
  if (!THRESHOLD_METRICS.includes(metric)) throw new Error(`bad threshold "${expr}": unknown metric ${metric} (one of ${THRESHOLD_METRICS.join(', ')})`);
  let unit: Threshold['unit'] = '';
  if (latency) {
    if (unitText === '%') throw new Error(`bad threshold "${expr}": a latency bound takes ms or s`);
    if (unitText === 's') value *= 1000;
    unit = 'ms';
  } else if (unitText === 'ms' || unitText === 's') {
    throw new Error(`bad threshold "${expr}": ${metric} is not a time`);
  } else if (unitText === '%') {
    if (!COUNTS.includes(metric) && metric !== 'under100ms') throw new Error(`bad threshold "${expr}": ${metric} takes no %`);
    unit = '%';
  } else if (metric === 'under100ms') unit = '%';
  return { expr: expr.trim(), metric, op: m[2] as Threshold['op'], value, unit };
}

function actual(t: Threshold, s: Summary): number {
  const lat = LATENCY[t.metric.replace(/^raw\./, '')];
  if (lat) return (t.metric.startsWith('raw.') ? s.latency.raw : s.latency.corrected)[lat];
  if (t.metric === 'rate') return s.rate.achieved;
  if (t.metric === 'under100ms') return s.percentUnder100ms;
  const count = t.metric === 'errors' ? s.requests.errors : t.metric === 'missed' ? s.requests.missed : s.findings.length;
  if (t.unit !== '%') return count;
  const of = t.metric === 'missed' ? (s.requests.planned ?? s.requests.total) : s.requests.total;
  return of > 0 ? Math.round((10_000 * count) / of) / 100 : 0;
}

const OPS = { '<': (a: number, b: number) => a < b, '<=': (a: number, b: number) => a <= b, '>': (a: number, b: number) => a > b, '>=': (a: number, b: number) => a >= b };

/** Pure: each threshold against the summary. */
export function evaluateThresholds(list: readonly Threshold[], s: Summary): ThresholdResult[] {
  return list.map((t) => {
    const a = actual(t, s);
    return { ...t, actual: a, ok: OPS[t.op](a, t.value) };
  });
}
