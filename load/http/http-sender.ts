import { Connection, type ConnectionOwner, type Endpoint, type Exchange } from './http-connection.js';
import type { Rendered } from '../request.js';
import { INVALID_REQUEST, toWire, type Wire } from './wire.js';

/** How one request ended. Times are performance.now() milliseconds. */
export interface Outcome {
  /** HTTP status, or 0 when no response arrived. */
  status: number;
  /** Error code when no response arrived (SHOAL_ERR_HEADERS_TIMEOUT, ECONNREFUSED, …). */
  error?: string;
  /** When the request went onto a connection (not when it was queued). */
  sentAt: number;
  endedAt: number;
  /** Response bytes received, head and body. */
  bytes?: number;
  body?: Buffer;
}

export interface SenderOptions {
  connections: number;
  timeoutMs: number;
}

/** A request in the client; once it ends, the same object is handed to `done` as its Outcome. */
interface Pending extends Exchange, Outcome {
  done: (o: Outcome) => void;
}

/**
 * A lean HTTP/1.1 client for the load generator's hot path (undici's Pool cost about
 * 22 µs of CPU per request by itself): `connections` keep-alive sockets, one request in
 * flight on each, a FIFO for the rest. A template without placeholders is serialized
 * once and its bytes reused on every send. The raw latency clock starts when the bytes
 * are written to a connected socket, so time spent waiting for a free connection shows
 * only in the corrected latency. One timer sweeps the connections for timeouts, so a
 * request costs no timer of its own.
 */
export class HttpSender implements ConnectionOwner {
  /** Requests queued or on a connection. */
  inflight = 0;
  /** Request bytes written (queued ones included). */
  bytesSent = 0;
  private readonly conns: Connection[] = [];
  private readonly idle: Connection[] = [];
  private queue: (Pending | undefined)[] = [];
  private queueHead = 0;
  private readonly host: string;
  /** Serialized fixed requests (frozen, reused by every send of their template). */
  private readonly wires = new WeakMap<Rendered, Wire>();
  private readonly sweep: NodeJS.Timeout;
  private readonly connectTimeoutMs: number;

  constructor(origin: string, opts: SenderOptions) {
    const u = new URL(origin);
    const tls = u.protocol === 'https:';
    const ep: Endpoint = { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (tls ? 443 : 80)), tls };
    this.host = u.host;
    for (let i = 0; i < opts.connections; i++) {
      const c = new Connection(ep, this);
      this.conns.push(c);
      this.idle.push(c);
    }
    const connectTimeoutMs = (this.connectTimeoutMs = Math.min(opts.timeoutMs, 10_000));
    this.sweep = setInterval(
      () => {
        const now = performance.now();
        for (const c of this.conns) c.check(now, opts.timeoutMs, connectTimeoutMs);
      },
      Math.min(1000, Math.max(10, opts.timeoutMs / 10)),
    );
    this.sweep.unref();
  }

  /**
   * Opens every connection before the clock starts (as wrk does), so the first second
   * of a run does not queue arrivals behind connects. Waits at most the connect timeout.
   */
  async connect(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.connectTimeoutMs)));
    await Promise.race([Promise.all(this.conns.map((c) => c.preconnect())), limit]);
    clearTimeout(timer);
  }

  send(req: Rendered, wantBody: boolean, done: (o: Outcome) => void): void {
    let wire = this.wires.get(req);
    if (!wire) {
      const w = toWire(req, this.host);
      if (w === INVALID_REQUEST) {
        const now = performance.now();
        return done({ status: 0, error: w, sentAt: now, endedAt: now });
      }
      wire = w;
      if (Object.isFrozen(req)) this.wires.set(req, wire);
    }
    this.inflight++;
    this.bytesSent += wire.bytes.length;
    const p: Pending = { wire, wantBody, sentAt: 0, done, status: 0, error: undefined, endedAt: 0, bytes: 0, body: undefined };
    // The longest idle first (FIFO): every connection carries requests, so none opened before
    // the run sits unused until the server's header timeout closes it (Node answers such a
    // socket with a 408, which a request sent at that moment would read as its own answer).
    const conn = this.idle.shift();
    if (conn) conn.start(p);
    else this.queue.push(p);
  }

  released(conn: Connection, ex: Exchange, status: number, error: string | undefined, bytes: number, body: Buffer | undefined): void {
    const endedAt = performance.now();
    this.inflight--;
    const next = this.dequeue();
    if (next) conn.start(next);
    else this.idle.push(conn);
    const p = ex as Pending;
    p.status = status;
    p.error = error;
    // a request that never reached a socket (connect failed) has no raw latency of its own
    p.sentAt ||= endedAt;
    p.endedAt = endedAt;
    p.bytes = bytes;
    p.body = body;
    p.done(p);
  }

  /** Closes every socket; requests still queued or in flight fail with SHOAL_ERR_DESTROYED. */
  destroy(): void {
    clearInterval(this.sweep);
    for (let p = this.dequeue(); p; p = this.dequeue()) {
      this.inflight--;
      const now = performance.now();
      p.done({ status: 0, error: 'SHOAL_ERR_DESTROYED', sentAt: now, endedAt: now });
    }
    for (const c of this.conns) c.fail('SHOAL_ERR_DESTROYED');
  }

  private dequeue(): Pending | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const p = this.queue[this.queueHead]!;
    this.queue[this.queueHead++] = undefined;
    // compact now and then, so a long queue is not shifted one element at a time
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return p;
  }
}
