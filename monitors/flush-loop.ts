import { OnceLog, type Logger } from '../lib/log.js';

export interface FlushLoopOptions {
  /** Names the monitor in log lines. */
  name: string;
  intervalMs: number;
  /**
   * A write without a reply after this long is abandoned: the loop moves on and the next
   * write carries fresh absolute values, so a late reply (or a late apply) is harmless.
   */
  timeoutMs: number;
  /** Abandoned writes still waiting for a reply; past this many, ticks are skipped. */
  maxUnsettled?: number;
  log: Logger;
  write: () => Promise<void>;
  /** Told how each write ended (the monitors' `shoal_monitor_flushes_total`). */
  onFlush?: (outcome: FlushOutcome) => void;
}

export type FlushOutcome = 'ok' | 'timeout' | 'error';

/**
 * Runs `write` once per interval: never two at once (a tick while one runs is skipped),
 * a hung write is abandoned after a timeout, and a Redis outage is logged once when it
 * starts and once when it ends. The timer is unref'd so it never holds the process open.
 */
export class FlushLoop {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private unsettled = 0;
  private stopping: Promise<void> | undefined;
  private readonly once: OnceLog;

  constructor(private readonly opts: FlushLoopOptions) {
    this.once = new OnceLog(opts.log);
  }

  start(): void {
    if (this.timer || this.stopping) return;
    this.timer = setInterval(() => void this.run(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** One write now, unless one is already running (then that one's promise). Never rejects. */
  run(): Promise<void> {
    if (this.current) return this.current;
    if (this.unsettled >= (this.opts.maxUnsettled ?? 4)) {
      this.once.warn('backlog', { unsettled: this.unsettled }, `${this.opts.name}: Redis is not answering; skipping writes until it does`);
      return Promise.resolve();
    }
    const p = this.attempt().finally(() => {
      this.current = undefined;
    });
    this.current = p;
    return p;
  }

  /**
   * Stops the timer, waits for a running write, then runs `final` (a last write, a
   * clean-up) under the same timeout. Idempotent: later calls get the first call's promise.
   */
  stop(final?: () => Promise<void>): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.timer);
      this.timer = undefined;
      await this.current;
      if (final) await this.attempt(final);
    })();
    return this.stopping;
  }

  private async attempt(run: () => Promise<void> = this.opts.write): Promise<void> {
    const { name, timeoutMs } = this.opts;
    this.unsettled++;
    const write = run().finally(() => {
      this.unsettled--;
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const outcome = await Promise.race([write.then(() => 'ok' as const), timedOut]);
      this.opts.onFlush?.(outcome);
      if (outcome === 'timeout') {
        write.catch(() => {}); // its late failure, if any, is already accounted for
        this.once.warn('redis', { timeoutMs }, `${name}: Redis write got no reply in ${timeoutMs} ms; abandoned, the next write carries the totals`);
        return;
      }
      this.once.clear('backlog');
      this.once.clear('redis', `${name}: Redis reachable again; writes resumed`);
    } catch (err) {
      this.opts.onFlush?.('error');
      this.once.warn('redis', { err: (err as Error).message }, `${name}: Redis unreachable; keeping counts in memory, the next write carries them`);
    } finally {
      clearTimeout(timer);
    }
  }
}
