import type { History } from './types.js';

/** Keeps the recommendations of the last `windowMs`, adding this one. */
export function remember(recs: History['recommendations'], at: number, desired: number, windowMs: number): History['recommendations'] {
  const kept = recs.filter((r) => r.at > at - windowMs);
  kept.push({ at, desired });
  return kept;
}

/**
 * Scale in only to the highest recommendation in the window (Kubernetes' scale-down
 * stabilization): a dip shorter than the window never removes a server.
 */
export function stabilized(recs: History['recommendations'], now: number, windowMs: number): number {
  let best = 0;
  for (const r of recs) if (r.at > now - windowMs) best = Math.max(best, r.desired);
  return best;
}
