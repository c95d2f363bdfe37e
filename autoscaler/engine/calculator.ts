import type { MetricRecommendation } from './types.js';

export interface Proposal {
  /** Servers the metrics ask for, before clamping to [min, max]. */
  proposed: number;
  /** Some metric voted (had fresh data). */
  voted: boolean;
  /** Every metric that voted was within its tolerance band. */
  allWithinTolerance: boolean;
}

/**
 * desired = max over the metrics that could vote. Taking the max means any metric can scale
 * out, and a scale-in needs every metric to agree; a metric without fresh data votes for the
 * current count, so it can block a scale-in but never cause one.
 */
export function combine(metrics: readonly MetricRecommendation[], current: number): Proposal {
  let proposed = 0;
  let voted = false;
  let allWithinTolerance = true;
  for (const m of metrics) {
    const d = m.desired ?? current;
    if (m.desired !== undefined) voted = true;
    if (!m.withinTolerance) allWithinTolerance = false;
    proposed = Math.max(proposed, d);
  }
  if (metrics.length === 0) proposed = current;
  return { proposed, voted, allWithinTolerance: voted && allWithinTolerance };
}

export function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
