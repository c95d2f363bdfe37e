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

/** Work through at most this many arrivals at once, then let responses be processed. */
const BATCH = 2000;

export interface OpenModelRun {
  result: Promise<OpenModelResult>;
  /**
   * Sends whatever is due now. Called on every answer: at high rates answers arrive all
   * the time, so arrivals go out close to their planned time without the loop spinning.
   */
  pump(): void;
}

/**
 * Drives an arrival plan in real time: every arrival whose planned time has come is
 * issued (late ones too — their latency is measured from the planned time), so a slow
 * target never slows the arrivals down (no coordinated omission). Between answers a
 * timer of at least 1 ms paces the sends, each tick sending every arrival already due
 * (the sends due within the same millisecond go out together, like wrk2's batching).
 */
export function runOpenModel(plan: readonly Segment[], opts: OpenModelOptions, hooks: OpenModelHooks): OpenModelRun {
  const times = plannedTimes(plan);
  const end = planDurationMs(plan);
  const res: OpenModelResult = { issued: 0, dropped: 0, capped: false };
  let next = times.next();
  let over = false;
  /** Set while issuing: an answer that completes synchronously must not pump from inside the loop. */
  let issuing = false;
  let timer: NodeJS.Timeout | undefined;
  let resolve!: (r: OpenModelResult) => void;
  const result = new Promise<OpenModelResult>((r) => (resolve = r));

  const finish = () => {
    over = true;
    clearTimeout(timer);
    // What the plan still holds after a stop counts as dropped, unless the cap ended it.
    if (!res.capped) {
      for (; !next.done; next = times.next()) {
        hooks.drop(next.value);
        res.dropped++;
      }
    }
    resolve(res);
  };
  /** Issues up to BATCH due arrivals; returns how many, or −1 when the run is over. */
  const issueDue = (): number => {
    if (opts.signal?.aborted) return (finish(), -1);
    const now = performance.now() - hooks.t0;
    let n = 0;
    issuing = true;
    for (; !next.done && next.value <= now && n < BATCH; n++, next = times.next()) {
      if (res.issued + res.dropped >= opts.maxRequests) {
        res.capped = true;
        issuing = false;
        return (finish(), -1);
      }
      if (now > end + opts.lagBoundMs || !hooks.admits()) {
        hooks.drop(next.value);
        res.dropped++;
      } else {
        hooks.issue(next.value, now);
        res.issued++;
      }
    }
    issuing = false;
    if (next.done || now > end + opts.lagBoundMs) return (finish(), -1);
    return n;
  };
  const tick = () => {
    timer = undefined;
    const n = issueDue();
    if (n < 0) return;
    // A full batch means the generator is behind: yield to I/O once and carry on.
    if (n === BATCH) setImmediate(tick);
    else timer = setTimeout(tick, Math.max(1, Math.floor(next.value - (performance.now() - hooks.t0))));
  };
  tick();
  return {
    result,
    pump: () => {
      if (!over && !issuing && !next.done && next.value <= performance.now() - hooks.t0) issueDue();
    },
  };
}
