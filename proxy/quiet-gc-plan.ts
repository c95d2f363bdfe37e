// When a proxy that has just been busy should give memory back, decided over plain samples
// (the timer and V8 live in quiet-gc.ts).
//
// A burst (a flood of connections kept alive, a traffic peak) leaves V8's heap large after it
// ends: the young generation grown to its cap, and old-generation pages half full of what the
// burst promoted and left behind. V8 gives that back only after a full GC, and its own memory
// reducer only ever starts after one; a proxy whose burst ended below the old generation's
// first GC limit keeps it all, for good. nginx frees a connection's memory as it goes idle.

/** What the proxy is asked to do now. */
export type QuietGcAction = 'none' | 'compact';

export interface QuietGcSample {
  at: number;
  /** A running total of what the proxy did: requests offered plus clients accepted. */
  activity: number;
  /** The young generation's size (both semi-spaces), MiB. */
  youngMb: number;
  /** The old generation's committed size, MiB. */
  oldMb: number;
}

export interface QuietGcState {
  /** `activity` at the last sample. */
  seen: number;
  /** When `activity` last moved. */
  activeAt: number;
  /** Activity since the last collection this plan asked for. */
  sinceGc: number;
  /** The old generation's size right after that collection (or at start). */
  oldAfterGcMb: number;
  /** The young generation's size at start: what V8 shrinks it back to. */
  youngStartMb: number;
  /** When this plan last asked for the collection that follows a busy spell. */
  gcAt: number;
  /** When it last asked for one more, for the young generation, and how many times since the spell. */
  youngGcAt: number;
  youngTries: number;
  /** 'busy': collect once quiet; 'collected': once more a while after, for the young generation; 'settled': nothing to do. */
  phase: 'busy' | 'collected' | 'settled';
}

/** Quiet this long (ms) after a busy spell: the burst is over. */
export const QUIET_MS = 1000;
/**
 * V8 shrinks the young generation in a full GC only when its allocation rate over the last
 * 5 s (GCTracer's throughput window, sampled at each GC) is low: a collection this long
 * after the one before sees only the quiet.
 */
export const YOUNG_QUIET_MS = 6000;
/** A spell smaller than this is not a burst worth a full GC (~30-100 ms of CPU with 10k sockets). */
export const MIN_ACTIVITY = 1000;
/** Old-generation growth (MiB) since the last collection that makes one worth it. */
export const MIN_OLD_GROWTH_MB = 8;
/** Tries for the young generation per spell: V8 shrinks it only if nothing allocated much meanwhile (a scrape every few seconds can). */
export const YOUNG_TRIES = 3;
/** At most one spell's collections this often: bursts with short pauses between them cost ~0.2 % of a core at most. */
export const MIN_GC_INTERVAL_MS = 30_000;

export function initialQuietGc(s: QuietGcSample): QuietGcState {
  return { seen: s.activity, activeAt: s.at, sinceGc: 0, oldAfterGcMb: s.oldMb, youngStartMb: s.youngMb, gcAt: -Infinity, youngGcAt: -Infinity, youngTries: 0, phase: 'settled' };
}

/** The next state, and whether to collect now. */
export function planQuietGc(state: QuietGcState, s: QuietGcSample): { state: QuietGcState; action: QuietGcAction } {
  const moved = s.activity - state.seen;
  let next: QuietGcState = { ...state, seen: s.activity };
  if (moved > 0) next = { ...next, activeAt: s.at, sinceGc: state.sinceGc + moved, phase: 'busy' };
  const quiet = s.at - next.activeAt;
  const youngGrown = s.youngMb > next.youngStartMb;
  if (next.phase === 'busy' && quiet >= QUIET_MS) {
    const grown = youngGrown || s.oldMb >= next.oldAfterGcMb + MIN_OLD_GROWTH_MB;
    if (next.sinceGc < MIN_ACTIVITY || !grown || s.at - next.gcAt < MIN_GC_INTERVAL_MS) return { state: next, action: 'none' };
    return { state: { ...next, sinceGc: 0, gcAt: s.at, youngTries: 0, phase: 'collected' }, action: 'compact' };
  }
  if (next.phase === 'collected' && s.at - Math.max(next.gcAt, next.youngGcAt) >= YOUNG_QUIET_MS) {
    if (!youngGrown || next.youngTries >= YOUNG_TRIES) return { state: { ...next, phase: 'settled' }, action: 'none' };
    return { state: { ...next, youngGcAt: s.at, youngTries: next.youngTries + 1 }, action: 'compact' };
  }
  return { state: next, action: 'none' };
}

/** After a collection: the old generation's new size is the base for the next growth. */
export function collected(state: QuietGcState, oldMb: number): QuietGcState {
  return { ...state, oldAfterGcMb: oldMb };
}
