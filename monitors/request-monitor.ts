import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import type { Fleet, RequestStats } from '../fleet/index.js';
import type { Logger } from '../lib/log.js';
import { FlushLoop } from './flush-loop.js';
import type { MonitorMetrics } from './metrics.js';
import { SlidingWindow } from './window.js';

const STARTED = Symbol('shoal.requestStarted');
const TALLY = Symbol('shoal.requestTally');
type TimedResponse = ServerResponse & { [STARTED]?: number; [TALLY]?: Tally };

/** Running totals and the window of one set of requests. */
class Tally {
  total = 0;
  s2xx = 0;
  s3xx = 0;
  s4xx = 0;
  s5xx = 0;
  open = 0;

  constructor(readonly window: SlidingWindow) {}

  complete(status: number, started: number): void {
    const now = performance.now();
    this.open--;
    this.total++;
    if (status >= 500) {
      if (status < 600) this.s5xx++;
    } else if (status >= 400) this.s4xx++;
    else if (status >= 300) this.s3xx++;
    else if (status >= 200) this.s2xx++;
    this.window.record(now, now - started);
  }
}

export interface RequestMonitorOptions {
  /**
   * Must sit on a client made with connectRedis(url, { offlineQueue: false }): while Redis
   * is down a write then fails at once instead of queueing, so nothing piles up in memory.
   */
  fleet: Fleet;
  /** host:port the server is reached at; names its hash, as the registry's address does. */
  address: string;
  serverId: string;
  /** New per process start: readers take a changed boot id as a counter reset. */
  bootId: string;
  intervalMs?: number;
  /** Span of the published requests/s and latency percentiles. */
  windowMs?: number;
  /** A flush without a reply after this long is abandoned (default: 2 intervals, at least 1 s). */
  flushTimeoutMs?: number;
  log: Logger;
  metrics?: MonitorMetrics;
  /**
   * Requests that are not demand (the app's own warm-up): they run the same code, into
   * totals that are never published, so the autoscaler sees no phantom load.
   */
  exclude?: (req: IncomingMessage) => boolean;
}

/**
 * Counts requests in memory (the middleware does a few increments and reads the clock
 * twice) and once per interval writes the server's hash in one pipeline. The hash holds
 * absolute running totals set with HSET, so a write that is lost, retried or applied late
 * never loses or doubles a request: the next one carries the totals again.
 */
export class RequestMonitor {
  private readonly counted: Tally;
  /** What `exclude` picked out: counted the same way, published nowhere. */
  private readonly excluded: Tally;
  private readonly loop: FlushLoop;

  constructor(private readonly opts: RequestMonitorOptions) {
    const intervalMs = opts.intervalMs ?? 1000;
    const windowMs = opts.windowMs ?? 10_000;
    this.counted = new Tally(new SlidingWindow(windowMs, performance.now()));
    this.excluded = new Tally(new SlidingWindow(windowMs, performance.now()));
    this.loop = new FlushLoop({
      name: 'request monitor',
      intervalMs,
      timeoutMs: opts.flushTimeoutMs ?? Math.max(2 * intervalMs, 1000),
      log: opts.log,
      write: () => this.write(),
      onFlush: opts.metrics && ((outcome) => opts.metrics!.flushed('request', outcome)),
    });
  }

  /** Requests started whose response has not finished or closed yet. */
  get inflight(): number {
    return this.counted.open;
  }

  middleware(): Middleware {
    // One shared listener and a start time kept on the response: no closure per request.
    // A response emits 'close' exactly once — after 'finish' when it completed, or when
    // the client went away first — so each request is counted once, with the status the
    // response had then, and in-flight goes down exactly once.
    function onClose(this: TimedResponse): void {
      const started = this[STARTED];
      if (started === undefined) return; // belt and braces: never count a response twice
      this[STARTED] = undefined;
      this[TALLY]!.complete(this.statusCode, started);
    }
    const { counted, excluded } = this;
    const exclude = this.opts.exclude;
    return (ctx, next) => {
      const res = ctx.res as TimedResponse;
      const tally = exclude?.(ctx.req) ? excluded : counted;
      tally.open++;
      res[TALLY] = tally;
      res[STARTED] = performance.now();
      res.on('close', onClose); // not once(): that allocates a wrapper per request
      return next();
    };
  }

  start(): void {
    this.loop.start();
  }

  /** Writes the hash now in one pipeline; if a flush is already running, waits for that one. */
  flush(): Promise<void> {
    return this.loop.run();
  }

  /** Stops the timer and writes the final totals. Idempotent. */
  stop(): Promise<void> {
    return this.loop.stop(() => this.write());
  }

  /** The values the next flush writes. */
  stats(): RequestStats {
    const c = this.counted;
    const w = c.window.snapshot(performance.now());
    return {
      serverId: this.opts.serverId,
      bootId: this.opts.bootId,
      total: c.total,
      s2xx: c.s2xx,
      s3xx: c.s3xx,
      s4xx: c.s4xx,
      s5xx: c.s5xx,
      inflight: c.open,
      rps: w.rps,
      p50Ms: w.p50Ms,
      p95Ms: w.p95Ms,
      updatedAt: Date.now(),
    };
  }

  private async write(): Promise<void> {
    const { fleet, address } = this.opts;
    const results = await fleet.requests.write(fleet.redis.pipeline(), address, this.stats()).exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }
}
