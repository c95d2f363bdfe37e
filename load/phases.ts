import type { Histogram } from 'hdr-histogram-js';
import { latencyHistogram } from './histogram.js';

/** A stretch of the run relative to the fleet's scaling: before it, while it happens, after it settled. */
export interface PhaseWindow {
  phase: 'before' | 'during' | 'after';
  /** Seconds since the run's start, [from, to). */
  fromS: number;
  toS: number;
}

export interface PhaseLatency extends PhaseWindow {
  requests: number;
  /** Corrected latency (from each request's planned send), ms. */
  p50: number;
  p99: number;
}

/** What a phase split needs of each elasticity sample. */
export interface ScalingSample {
  t: number;
  supply: number;
  autoscalerDesired: number | null;
}

/**
 * Pure: the run split around the fleet's scaling. "During" starts at the first sample whose
 * autoscaler desired count differs from the first one it showed, and ends when the ready
 * servers first match the last desired count; empty when the autoscaler never changed its
 * mind (no split). A phase of zero length is left out.
 */
export function scalingPhases(series: readonly ScalingSample[], endS: number): PhaseWindow[] {
  const first = series.find((s) => s.autoscalerDesired !== null)?.autoscalerDesired;
  if (first === undefined) return [];
  const start = series.find((s) => s.autoscalerDesired !== null && s.autoscalerDesired !== first);
  if (!start) return [];
  let lastChange = start;
  for (let i = series.indexOf(start) + 1; i < series.length; i++) {
    const s = series[i]!;
    if (s.autoscalerDesired !== null && s.autoscalerDesired !== lastChange.autoscalerDesired) lastChange = s;
  }
  const settled = series.find((s) => s.t >= lastChange.t && s.supply === lastChange.autoscalerDesired);
  const settledS = settled ? settled.t : endS;
  const windows: PhaseWindow[] = [
    { phase: 'before', fromS: 0, toS: start.t },
    { phase: 'during', fromS: start.t, toS: settledS },
    { phase: 'after', fromS: settledS, toS: endS },
  ];
  return windows.filter((w) => w.toS > w.fromS);
}

/** Pure: each window's corrected latency, from the run's per-second histograms (second i covers [i, i+1)). */
export function phaseLatency(windows: readonly PhaseWindow[], seconds: readonly { corrected: Histogram }[]): PhaseLatency[] {
  return windows.map((w) => {
    const h = latencyHistogram(2);
    seconds.forEach((s, i) => {
      if (i >= Math.floor(w.fromS) && i < Math.ceil(w.toS)) h.add(s.corrected);
    });
    const at = (p: number) => (h.totalCount ? Math.round(h.getValueAtPercentile(p)) / 1000 : 0);
    return { ...w, requests: h.totalCount, p50: at(50), p99: at(99) };
  });
}
