import type { History, ScalePolicy } from './types.js';

/** Net servers added (positive) or removed (negative) by actions inside the period. */
function changedInPeriod(actions: History['actions'], now: number, periodMs: number, sign: 1 | -1): number {
  let n = 0;
  for (const a of actions) if (a.at > now - periodMs && Math.sign(a.delta) === sign) n += Math.abs(a.delta);
  return n;
}

/**
 * The most servers allowed now: from the count at the start of the period, the larger of
 * +percent % and +servers (so 1 → 5 in one step with the defaults).
 */
export function scaleUpLimit(p: ScalePolicy, actions: History['actions'], current: number, now: number): number {
  const start = Math.max(0, current - changedInPeriod(actions, now, p.periodMs, 1));
  return Math.max(Math.floor(start * (1 + p.percent / 100)), start + p.servers);
}

/** The fewest servers allowed now: from the count at the start of the period, the larger cut of percent % and servers. */
export function scaleDownLimit(p: ScalePolicy, actions: History['actions'], current: number, now: number): number {
  const start = current + changedInPeriod(actions, now, p.periodMs, -1);
  const cut = Math.max(Math.floor((start * p.percent) / 100), p.servers);
  return Math.max(0, start - cut);
}

export function recordAction(actions: History['actions'], at: number, delta: number, keepMs: number): History['actions'] {
  const kept = actions.filter((a) => a.at > at - keepMs);
  if (delta !== 0) kept.push({ at, delta });
  return kept;
}
