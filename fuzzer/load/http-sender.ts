import { Pool, type Dispatcher } from 'undici';
import type { Rendered } from './request.js';

/** How one request ended. Times are performance.now() milliseconds. */
export interface Outcome {
  /** HTTP status, or 0 when no response arrived. */
  status: number;
  /** Error code when no response arrived (UND_ERR_HEADERS_TIMEOUT, ECONNREFUSED, …). */
  error?: string;
  /** When the request went onto a connection (not when it was queued). */
  sentAt: number;
  endedAt: number;
  body?: Buffer;
}

export interface SenderOptions {
  connections: number;
  timeoutMs: number;
}

/**
 * Sends over a keep-alive undici Pool of `connections` sockets. The raw latency clock
 * starts when undici writes the request to a socket (onRequestStart), so time spent
 * waiting for a free connection shows only in the corrected latency.
 */
export class HttpSender {
  private readonly pool: Pool;
  inflight = 0;

  constructor(
    readonly origin: string,
    private readonly opts: SenderOptions,
  ) {
    this.pool = new Pool(origin, {
      connections: opts.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connectTimeout: Math.min(opts.timeoutMs, 10_000),
    });
  }

  send(req: Rendered, wantBody: boolean, done: (o: Outcome) => void): void {
    this.inflight++;
    let sentAt = 0;
    let status = 0;
    let finished = false;
    const chunks: Buffer[] | undefined = wantBody ? [] : undefined;
    const finish = (st: number, error?: string, body?: Buffer) => {
      if (finished) return;
      finished = true;
      this.inflight--;
      const endedAt = performance.now();
      // a request that never reached a socket (connect failed) has no raw latency of its own
      done({ status: st, error, sentAt: sentAt || endedAt, endedAt, body });
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart() {
        sentAt = performance.now();
      },
      onResponseStart(_c, statusCode) {
        status = statusCode;
      },
      onResponseData(_c, chunk) {
        chunks?.push(chunk);
      },
      onResponseEnd() {
        finish(status, undefined, chunks ? Buffer.concat(chunks) : undefined);
      },
      onResponseError(_c, err) {
        finish(0, (err as NodeJS.ErrnoException).code ?? err.name);
      },
    };
    try {
      this.pool.dispatch({ path: req.path, method: req.method as Dispatcher.HttpMethod, headers: req.headers, body: req.body }, handler);
    } catch (err) {
      finish(0, (err as NodeJS.ErrnoException).code ?? 'SHOAL_ERR_DISPATCH');
    }
  }

  /** Waits for in-flight requests, then closes the sockets. */
  close(): Promise<void> {
    return this.pool.close();
  }

  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}
