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
 * Gatling-style concurrent users: each user sends one unit of work (a template or a
 * whole chain), waits for the answers, thinks, and repeats until the duration is over.
 * `runUnit` calls `take()` before each request; false means the request cap is reached.
 */
export async function runClosedModel(opts: ClosedModelOptions, t0: number, runUnit: (take: () => boolean) => Promise<void>): Promise<ClosedModelResult> {
  const res: ClosedModelResult = { issued: 0, capped: false };
  const take = () => {
    if (res.issued >= opts.maxRequests) {
      res.capped = true;
      return false;
    }
    res.issued++;
    return true;
  };
  const over = () => res.capped || opts.signal?.aborted || performance.now() - t0 >= opts.durationMs;
  const think = () =>
    new Promise<void>((resolve) => {
      const left = opts.durationMs - (performance.now() - t0);
      const timer = setTimeout(resolve, Math.max(0, Math.min(opts.thinkMs, left)));
      opts.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  const user = async () => {
    while (!over()) {
      await runUnit(take);
      if (opts.thinkMs > 0 && !over()) await think();
    }
  };
  await Promise.all(Array.from({ length: opts.users }, user));
  return res;
}
