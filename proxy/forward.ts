import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { Logger } from '../lib/log.js';
import { pick, type BalancerKind } from './balancer.js';
import { refuseHttp09 } from '../lib/http-edges.js';
import type { DemandCounters } from './demand.js';
import { ProxyErrorCode, sendError, statusFor } from './errors.js';
import { clientHeaders, requestIdFor, upstreamHeaders } from './headers.js';
import type { FaultRules } from '../lib/fault-rules.js';
import { isInternalPath } from './internal-paths.js';
import { lingerAfterAnswer } from './limits.js';
import type { ProxyMetrics } from './metrics.js';
import { classifyFailure, shouldRetry, type FailureKind, type RetryBudget } from './retry.js';
import { endForwardSpan, startForwardSpan, withTraceparent } from './tracing.js';
import type { Upstream, UpstreamSet } from './upstream.js';
import type { Span, Tracer } from '@opentelemetry/api';

export interface ForwarderOptions {
  upstreams: UpstreamSet;
  balancer: BalancerKind;
  budget: RetryBudget;
  metrics: ProxyMetrics;
  counters: DemandCounters;
  proto: 'http' | 'https';
  responseTimeoutMs: number;
  /** Longest pause between two chunks of a response body. */
  bodyIdleMs: number;
  bufferBodyBytes: number;
  maxAttempts: number;
  retrySent: boolean;
  /** Requests are marked as the course API's (the `--compat-port` listener). */
  compat?: boolean;
  /** True once shutdown began: answers carry Connection: close. */
  closing: () => boolean;
  /** Serve the app servers' /metrics, /healthz and /readyz on the public port (--expose-internal). */
  exposeInternal: boolean;
  /** Injected faults (--enable-faults), per upstream; absent otherwise. */
  faults?: FaultRules;
  log: Logger;
  /** Traces every request (a span, retries as its events, `traceparent` to the app) when set. */
  tracer?: Tracer;
}

const FAILURE_CODE: Record<Exclude<FailureKind, 'aborted'>, ProxyErrorCode> = {
  connect: ProxyErrorCode.UPSTREAM_CONNECT,
  sent: ProxyErrorCode.UPSTREAM_FAILED,
  timeout: ProxyErrorCode.UPSTREAM_TIMEOUT,
};

/** The HTTP request handler: one Exchange per client request. */
export function createForwarder(o: ForwarderOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (refuseHttp09(req, res)) return;
    new Exchange(o, req, res).start();
  };
}

const kExchange = Symbol('exchange');
type Tagged = ServerResponse & { [kExchange]?: Exchange };

/** One shared 'close' listener for every response (no closure per request). */
function onClientClose(this: Tagged): void {
  this[kExchange]?.clientClosed();
}

/** Reused by every attempt: the candidates are read and picked from synchronously. */
const scratch: Upstream[] = [];

/**
 * One client request on its way through: body handling, server choice, the undici dispatch
 * (this object is the dispatch handler), streaming the answer back with back-pressure, and
 * the retry decision when an attempt fails before any of the answer was sent.
 * It speaks undici's core handler interface (onConnect/onHeaders/onData/onComplete/onError):
 * the newer controller interface is an adapter over it that parses every header block into
 * an object, which the proxy would only turn back into a list.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly startedAt = performance.now();
  private requestId = '';
  private path = '';
  private headers: string[] = [];
  private body: Buffer | IncomingMessage | null = null;
  private replayable = true;
  /** Servers that failed this request; allocated on the first failure only. */
  private tried: Upstream[] | undefined;
  private attempts = 0;
  private current: Upstream | undefined;
  private abort: ((err?: Error) => void) | undefined;
  private resume: (() => void) | undefined;
  private clientGone = false;
  private status = 0;
  private span: Span | undefined;

  constructor(
    private readonly o: ForwarderOptions,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {}

  start(): void {
    const { o, req, res } = this;
    o.counters.offered++;
    o.budget.deposit();
    (res as Tagged)[kExchange] = this;
    res.on('close', onClientClose);
    this.requestId = requestIdFor(req.headers['x-request-id']);
    const path = toPath(req.url ?? '');
    if (!path) return this.refuse(ProxyErrorCode.BAD_REQUEST, 'request target must be an absolute path');
    this.path = path;
    if (!o.exposeInternal && isInternalPath(path)) return this.refuse(ProxyErrorCode.INTERNAL_PATH, `no route for ${req.method} ${path.split('?')[0]}`);
    this.headers = upstreamHeaders(req.rawHeaders, req.headers.connection, {
      remoteAddress: req.socket.remoteAddress ?? '',
      proto: o.proto,
      requestId: this.requestId,
      compat: o.compat,
    });
    if (o.tracer) {
      const t = startForwardSpan(o.tracer, req, path);
      this.span = t.span;
      this.headers = withTraceparent(this.headers, t.traceparent);
    }
    const te = req.headers['transfer-encoding'];
    const cl = req.headers['content-length'];
    if (te === undefined && (cl === undefined || cl === '0')) return this.attempt();
    if (te === undefined && Number(cl) <= o.bufferBodyBytes) return this.readBody();
    // large or chunked bodies stream straight through; such a request cannot be sent twice
    this.body = req;
    this.replayable = false;
    this.attempt();
  }

  // Small bodies are read first (as nginx buffers them) so a request that failed to
  // reach a server can be sent to another one.
  private readBody(): void {
    const chunks: Buffer[] = [];
    this.req.on('data', (c: Buffer) => chunks.push(c));
    this.req.on('end', () => {
      if (this.clientGone) return;
      this.body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.attempt();
    });
  }

  private attempt(): void {
    const now = Date.now();
    const set = this.o.upstreams;
    const cands = set.candidates(now, this.tried, scratch);
    if (cands.length === 0) {
      if (set.allFull(now)) return this.refuse(ProxyErrorCode.QUEUE_FULL, 'every server is at its connection and queue limit');
      return this.refuse(ProxyErrorCode.NO_UPSTREAM, 'no app server is ready to take this request');
    }
    const u = cands[pick(this.o.balancer, cands, Math.random)]!;
    cands.length = 0;
    const fault = this.o.faults?.choose(u.id, now);
    if (fault) return this.injected(u, fault.delayMs, fault.abortStatus);
    this.dispatch(u);
  }

  /**
   * An injected fault for this upstream, as if the server itself were slow or failing: a
   * delay past the response timeout is that timeout (retried, counted toward ejection); a
   * shorter one only delays; an abort is the server's answer with that status.
   */
  private injected(u: Upstream, delayMs: number, abortStatus: number | undefined): void {
    if (delayMs >= this.o.responseTimeoutMs) {
      this.current = u;
      this.attempts++;
      u.inflight++;
      const timeout = Object.assign(new Error(`injected delay of ${delayMs} ms (chaos experiment)`), { code: 'UND_ERR_HEADERS_TIMEOUT' });
      setTimeout(() => (this.clientGone ? this.release() : this.onError(timeout)), this.o.responseTimeoutMs);
      return;
    }
    const go = () => {
      if (this.clientGone) return;
      if (abortStatus === undefined) return this.dispatch(u);
      this.o.counters.served++;
      this.o.upstreams.record(u, abortStatus >= 500, Date.now());
      this.o.metrics.answered(abortStatus, this.elapsed());
      const body = JSON.stringify({ error: { code: 'SHOAL_ERR_INJECTED_FAULT', message: `answered ${abortStatus} by an injected fault for ${u.id} (chaos experiment)` } });
      this.res.writeHead(abortStatus, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': this.requestId });
      this.res.end(body);
    };
    if (delayMs > 0) setTimeout(go, delayMs);
    else go();
  }

  private dispatch(u: Upstream): void {
    this.current = u;
    this.attempts++;
    this.span?.setAttribute('shoal.upstream', u.id);
    u.inflight++;
    this.abort = undefined;
    // timeouts are the pool's (--response-timeout, --idle-timeout)
    u.pool.dispatch({ path: this.path, method: this.req.method as Dispatcher.HttpMethod, headers: this.headers, body: this.body }, this);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    if (this.clientGone) abort(new ClientGoneError());
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusMessage: string): boolean {
    if (statusCode < 200) return true; // 1xx: interim, the real answer follows
    this.status = statusCode;
    this.resume = resume;
    this.o.counters.served++;
    if (this.current) this.o.upstreams.record(this.current, statusCode >= 500, Date.now());
    if (this.clientGone) {
      this.abort?.(new ClientGoneError());
      return false;
    }
    // an early answer (413, 415 …) leaves the client's body unread: close rather than parse it
    // as the next request, but let the client finish sending before the socket goes
    if (!this.req.complete) lingerAfterAnswer(this.req);
    const h = clientHeaders(rawHeaders, this.requestId, this.o.closing() || !this.req.complete);
    this.res.writeHead(statusCode, statusMessage || undefined, h);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.clientGone) return true;
    if (this.res.write(chunk)) return true;
    // the client reads slower than the server writes: stop reading upstream until it drains
    this.res.once('drain', this.resume!);
    return false;
  }

  onComplete(): void {
    this.release();
    this.res.end();
    this.o.metrics.answered(this.status, this.elapsed());
    if (this.span) endForwardSpan(this.span, this.status);
  }

  onError(err: Error): void {
    const u = this.current;
    this.release();
    const failure = classifyFailure(err as NodeJS.ErrnoException, this.clientGone);
    if (failure === 'aborted') {
      this.o.metrics.refused('client_closed', this.elapsed());
      this.span?.end();
      return;
    }
    this.span?.addEvent('upstream attempt failed', { 'shoal.upstream': u?.id ?? '', 'shoal.failure': failure, 'exception.message': err.message });
    this.o.metrics.upstreamErrors.inc({ kind: failure });
    const now = Date.now();
    if (u) {
      this.o.upstreams.record(u, true, now);
      (this.tried ??= []).push(u);
    }
    if (this.res.headersSent) {
      // part of the answer is already out: all we can do is cut the client off
      this.o.log.warn({ requestId: this.requestId, server: u?.id, err: err.message }, 'upstream failed mid-response');
      this.o.metrics.refused(ProxyErrorCode.UPSTREAM_FAILED, this.elapsed());
      if (this.span) endForwardSpan(this.span, 502, 'upstream failed mid-response');
      this.res.destroy();
      return;
    }
    const verdict = shouldRetry(
      {
        method: this.req.method ?? 'GET',
        failure,
        attempts: this.attempts,
        maxAttempts: this.o.maxAttempts,
        bodyReplayable: this.replayable,
        keyed: this.req.headers['idempotency-key'] !== undefined,
        untried: this.o.upstreams.candidates(now, this.tried).length,
        retrySent: this.o.retrySent,
      },
      this.o.budget,
    );
    this.o.metrics.retries.inc({ outcome: verdict.retry ? 'retried' : verdict.reason });
    if (verdict.retry) {
      this.span?.addEvent('retry', { 'shoal.attempt': this.attempts + 1 });
      this.o.log.debug({ requestId: this.requestId, server: u?.id, failure, err: err.message }, 'retrying on another server');
      return this.attempt();
    }
    this.o.log.warn({ requestId: this.requestId, server: u?.id, failure, reason: verdict.reason, err: err.message }, 'upstream attempt failed');
    this.refuse(FAILURE_CODE[failure], `app server ${u?.id ?? ''} failed: ${failureText(failure)}`);
  }

  private refuse(code: ProxyErrorCode, message: string): void {
    this.o.metrics.refused(code, this.elapsed());
    if (this.span) endForwardSpan(this.span, statusFor(code), `${code}: ${message}`);
    if (this.clientGone) return;
    // an unread body would otherwise be parsed as the next request: answer, then close
    if (!this.req.complete) {
      this.res.setHeader('connection', 'close');
      lingerAfterAnswer(this.req);
    }
    sendError(this.res, code, message, this.requestId);
  }

  private release(): void {
    if (this.current) {
      this.current.inflight--;
      this.current = undefined;
    }
  }

  private elapsed(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  clientClosed(): void {
    (this.res as Tagged)[kExchange] = undefined;
    if (this.res.writableFinished) return;
    this.clientGone = true;
    this.abort?.(new ClientGoneError());
  }
}

class ClientGoneError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('client closed the connection');
  }
}

function failureText(f: Exclude<FailureKind, 'aborted'>): string {
  if (f === 'connect') return 'could not connect';
  if (f === 'timeout') return 'no answer within the response timeout';
  return 'connection broke after the request was sent';
}

/** Origin-form path; an absolute-form target (`GET http://h/p`) is reduced to its path. */
function toPath(url: string): string | undefined {
  if (url.startsWith('/')) return url;
  if (!URL.canParse(url)) return undefined;
  const u = new URL(url);
  return u.pathname + u.search;
}

