// Pure choice of an app server for one request. No I/O, no clocks: the caller passes the
// eligible candidates (ready, healthy, not full, not already tried) and a random source.

export type BalancerKind = 'p2c' | 'round-robin';

export interface Candidate {
  /** Requests sent to this server and not yet answered. */
  inflight: number;
  /** Share multiplier in (0, 1]: below 1 while the server is in its slow start ramp. */
  weight: number;
  /** Smooth weighted round robin's running score; owned by the balancer, starts at 0. */
  rrCurrent: number;
}

export type Random = () => number;

/**
 * Power of two choices on least outstanding requests: draw two distinct candidates with
 * probability proportional to weight, keep the one with fewer in-flight requests per unit of
 * weight. Ties go to the first draw, so at idle the share follows the weights.
 * Returns an index into `c`, or -1 if it is empty.
 */
export function pickP2C(c: readonly Candidate[], rand: Random): number {
  if (c.length === 0) return -1;
  if (c.length === 1) return 0;
  let total = 0;
  for (const x of c) total += x.weight;
  const a = drawWeighted(c, total, rand, -1);
  const b = drawWeighted(c, total - c[a]!.weight, rand, a);
  const ca = c[a]!;
  const cb = c[b]!;
  return cb.inflight / cb.weight < ca.inflight / ca.weight ? b : a;
}

function drawWeighted(c: readonly Candidate[], total: number, rand: Random, skip: number): number {
  let r = rand() * total;
  let last = -1;
  for (let i = 0; i < c.length; i++) {
    if (i === skip) continue;
    last = i;
    r -= c[i]!.weight;
    if (r < 0) return i;
  }
  return last; // float rounding left a sliver: the last eligible one
}

/**
 * Smooth weighted round robin (nginx's algorithm): every candidate gains its weight, the
 * highest score is chosen and pays back the total. Equal weights give plain rotation;
 * a slow-starting server is interleaved evenly rather than in bursts. Mutates `rrCurrent`.
 */
export function pickRoundRobin(c: Candidate[]): number {
  if (c.length === 0) return -1;
  let total = 0;
  let best = 0;
  for (let i = 0; i < c.length; i++) {
    const x = c[i]!;
    x.rrCurrent += x.weight;
    total += x.weight;
    if (x.rrCurrent > c[best]!.rrCurrent) best = i;
  }
  c[best]!.rrCurrent -= total;
  return best;
}

export function pick(kind: BalancerKind, c: Candidate[], rand: Random): number {
  return kind === 'p2c' ? pickP2C(c, rand) : pickRoundRobin(c);
}

/** The floor of the slow start ramp: a brand new server still gets a trickle to warm up on. */
export const SLOW_START_MIN_WEIGHT = 0.1;

/**
 * Linear ramp from SLOW_START_MIN_WEIGHT to 1 over `windowMs` since the server joined
 * (or was re-admitted). A window of 0 turns slow start off.
 */
export function slowStartWeight(ageMs: number, windowMs: number): number {
  if (windowMs <= 0 || ageMs >= windowMs) return 1;
  if (ageMs <= 0) return SLOW_START_MIN_WEIGHT;
  return SLOW_START_MIN_WEIGHT + (1 - SLOW_START_MIN_WEIGHT) * (ageMs / windowMs);
}
