export interface ClosedModelOptions {
  users: number;
  durationMs: number;
  thinkMs: number;
  maxRequests: number;
  signal?: AbortSignal;
}

export interface ClosedModelResult {
  issued: number;
  capped: boolean;
}

/**
 * One unit of work (a template or a whole chain): calls `take()` before each request
 * (false = the request cap is reached) and `done()` once when the unit is over.
 */
export type RunUnit = (take: () => boolean, done: () => void) => void;

/**
 * Gatling-style concurrent users: each user sends one unit of work, waits for the
 * answers, thinks, and repeats until the duration is over. Users are callback loops, not
 * promise chains: at tens of thousands of requests a second the difference is CPU.
 */
export function runClosedModel(opts: ClosedModelOptions, t0: number, runUnit: RunUnit): Promise<ClosedModelResult> {
  const res: ClosedModelResult = { issued: 0, capped: false };
  const take = () => {
    if (res.issued >= opts.maxRequests) {
      res.capped = true;
      return false;
    }
    res.issued++;
    return true;
  };
  const over = () => res.capped || opts.signal?.aborted === true || performance.now() - t0 >= opts.durationMs;
  return new Promise((resolve) => {
    let running = opts.users;
    const thinking = new Set<NodeJS.Timeout>();
    const userDone = () => {
      if (--running === 0) {
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(res);
      }
    };
    // An abort cuts every think short; units in flight end on their own.
    const onAbort = () => {
      for (const timer of thinking) {
        clearTimeout(timer);
        thinking.delete(timer);
        userDone();
      }
    };
    opts.signal?.addEventListener('abort', onAbort);
    const user = () => {
      let depth = 0;
      const loop = (): void => {
        if (over()) return userDone();
        depth++;
        runUnit(take, after);
        depth--;
      };
      const after = (): void => {
        if (opts.thinkMs > 0 && !over()) {
          const timer = setTimeout(() => (thinking.delete(timer), loop()), Math.max(0, Math.min(opts.thinkMs, opts.durationMs - (performance.now() - t0))));
          thinking.add(timer);
        } else if (depth > 0) {
          setImmediate(loop); // a unit that ended synchronously: do not recurse without bound
        } else loop();
      };
      loop();
    };
    for (let i = 0; i < opts.users; i++) user();
  });
}
