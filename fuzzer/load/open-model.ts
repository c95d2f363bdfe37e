import { planDurationMs, plannedTimes, type Segment } from './schedule.js';

export interface OpenModelHooks {
  /** performance.now() at the run's start; planned times are offsets from it. */
  t0: number;
  /** True when a send can go now: a connection or a queue slot is free. */
  admits(): boolean;
  /** Sends one arrival. */
  issue(plannedAt: number, now: number): void;
  /** An arrival that could not go: every connection busy beyond the bound, or too late. */
  drop(plannedAt: number): void;
}

export interface OpenModelResult {
  /** Arrivals handed to issue(). */
  issued: number;
  dropped: number;
  /** The request cap stopped the run early. */
  capped: boolean;
}

export interface OpenModelOptions {
  maxRequests: number;
  /** Arrivals still unsent this long after the plan's end are dropped, so a run always ends. */
  lagBoundMs: number;
  signal?: AbortSignal;
}

/** Work through at most this many arrivals per tick, then let responses be processed. */
const BATCH = 2000;

/**
 * Drives an arrival plan in real time: every arrival whose planned time has come is
 * issued (late ones too — their latency is measured from the planned time), so a slow
 * target never slows the arrivals down (no coordinated omission). Pacing is by timers of
 * at least 1 ms: each tick sends every arrival already due, so at high rates the sends
 * due within the same millisecond go out together (like wrk2) instead of the loop
 * spinning between them.
 */
export function runOpenModel(plan: readonly Segment[], opts: OpenModelOptions, hooks: OpenModelHooks): Promise<OpenModelResult> {
  const times = plannedTimes(plan);
  const end = planDurationMs(plan);
  const res: OpenModelResult = { issued: 0, dropped: 0, capped: false };
  let next = times.next();
  return new Promise((resolve) => {
    const finish = () => {
      // What the plan still holds after a stop counts as dropped, unless the cap ended it.
      if (!res.capped) {
        for (; !next.done; next = times.next()) {
          hooks.drop(next.value);
          res.dropped++;
        }
      }
      resolve(res);
    };
    const tick = () => {
      if (opts.signal?.aborted) return finish();
      const now = performance.now() - hooks.t0;
      let n = 0;
      for (; !next.done && next.value <= now && n < BATCH; n++, next = times.next()) {
        if (res.issued + res.dropped >= opts.maxRequests) {
          res.capped = true;
          return finish();
        }
        if (now > end + opts.lagBoundMs || !hooks.admits()) {
          hooks.drop(next.value);
          res.dropped++;
        } else {
          hooks.issue(next.value, now);
          res.issued++;
        }
      }
      if (next.done) return finish();
      if (now > end + opts.lagBoundMs) return finish();
      // A full batch means the generator is behind: yield to I/O once and carry on.
      if (n === BATCH) setImmediate(tick);
      else setTimeout(tick, Math.max(1, Math.floor(next.value - (performance.now() - hooks.t0))));
    };
    tick();
  });
}
