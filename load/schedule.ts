/**
 * The open model's arrival plan: pure arithmetic, no clocks. A plan is a list of
 * segments, each holding or ramping a rate; the k-th arrival (k = 0, 1, …) is planned
 * at the first instant the cumulative arrival count reaches k.
 */
export interface Segment {
  durationMs: number;
  /** Arrivals per second at the segment's start and end (equal = constant rate). */
  from: number;
  to: number;
}

const EPS = 1e-9;

/** `30s:100,60s:100-500,30s:0` → segments; `30s:100` holds 100/s, `60s:100-500` ramps. */
export function parseStages(text: string, parseDuration: (s: string) => number | undefined): Segment[] {
  const segments: Segment[] = [];
  for (const raw of text.split(',')) {
    const m = /^\s*([^:]+):\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?))?\s*$/.exec(raw);
    const ms = m ? parseDuration(m[1]!.trim()) : undefined;
    if (!m || ms === undefined) throw new Error(`bad stage "${raw.trim()}": expected DURATION:RATE or DURATION:FROM-TO, e.g. 30s:100 or 60s:100-500`);
    const from = Number(m[2]);
    segments.push({ durationMs: ms, from, to: m[3] === undefined ? from : Number(m[3]) });
  }
  if (segments.every((s) => s.durationMs === 0)) throw new Error('stages add up to no time');
  return segments;
}

export function constantRate(rate: number, durationMs: number): Segment[] {
  return [{ durationMs, from: rate, to: rate }];
}

export function planDurationMs(segments: readonly Segment[]): number {
  return segments.reduce((t, s) => t + s.durationMs, 0);
}

/** Cuts a plan at `limitMs` (the --duration bound), ramps interpolated. */
export function truncatePlan(segments: readonly Segment[], limitMs: number): Segment[] {
  const out: Segment[] = [];
  let t = 0;
  for (const s of segments) {
    if (t >= limitMs) break;
    if (t + s.durationMs <= limitMs) out.push({ ...s });
    else {
      const d = limitMs - t;
      out.push({ durationMs: d, from: s.from, to: s.from + ((s.to - s.from) * d) / s.durationMs });
    }
    t += s.durationMs;
  }
  return out;
}

/** Arrivals the plan holds in total. */
export function plannedCount(segments: readonly Segment[]): number {
  const total = segments.reduce((n, s) => n + ((s.from + s.to) / 2) * (s.durationMs / 1000), 0);
  return Math.max(0, Math.ceil(total - EPS));
}

/** The highest planned rate anywhere in the plan, arrivals/s. */
export function peakRate(segments: readonly Segment[]): number {
  return segments.reduce((m, s) => Math.max(m, s.from, s.to), 0);
}

/** The answer time an open-model run's default connections are sized for (Little's law). */
export const CONNECTION_LATENCY_MS = 250;
const MIN_CONNECTIONS = 16;
const MAX_CONNECTIONS = 1000;

/**
 * Default keep-alive connections for an open-model plan: enough that its peak rate still
 * goes out on time while answers take up to CONNECTION_LATENCY_MS (peak × latency), at least
 * 16. With fewer, a target that slows down caps the sends at connections / latency: the
 * generator, not the target, sets the rate, and the demand a proxy and an autoscaler see is
 * lower than the one planned.
 */
export function openModelConnections(segments: readonly Segment[]): number {
  return Math.min(MAX_CONNECTIONS, Math.max(MIN_CONNECTIONS, Math.ceil((peakRate(segments) * CONNECTION_LATENCY_MS) / 1000)));
}

/** Mean planned rate over the plan, arrivals/s. */
export function meanRate(segments: readonly Segment[]): number {
  const d = planDurationMs(segments);
  return d > 0 ? plannedCount(segments) / (d / 1000) : 0;
}

/** The planned arrival rate (arrivals/s) at `tMs` from the start; 0 outside the plan. */
export function rateAt(segments: readonly Segment[], tMs: number): number {
  let start = 0;
  for (const s of segments) {
    if (tMs >= start && tMs < start + s.durationMs) return s.from + ((s.to - s.from) * (tMs - start)) / s.durationMs;
    start += s.durationMs;
  }
  return 0;
}

/** Planned send times in ms from the start, ascending. */
export function* plannedTimes(segments: readonly Segment[]): Generator<number> {
  let t0 = 0;
  let n0 = 0;
  let k = 0;
  for (const s of segments) {
    const d = s.durationMs;
    const b = s.from / 1000; // arrivals per ms at the segment start
    const a = (s.to - s.from) / 1000 / (2 * d); // n(τ) = bτ + aτ²
    const n1 = n0 + ((s.from + s.to) / 2) * (d / 1000);
    for (; k < n1 - EPS; k++) {
      const m = k - n0;
      // the root of aτ² + bτ − m = 0, in the form that stays exact when a → 0
      const tau = m <= 0 ? 0 : (2 * m) / (b + Math.sqrt(Math.max(0, b * b + 4 * a * m)));
      yield t0 + Math.min(tau, d);
    }
    t0 += d;
    n0 = n1;
  }
}
