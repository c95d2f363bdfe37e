// Pure retry policy: may a failed upstream attempt be sent again, to another server?
// A request is resent only if it provably never reached a server, or if sending it twice
// is harmless (an idempotent method, or one carrying an Idempotency-Key the app dedupes on)
// — and only while the retry budget lasts, so an outage does not multiply the load on the
// servers that are left.

/** How an attempt failed, as far as the proxy can tell. */
export type FailureKind =
  /** No connection was made (refused, unreachable, connect timeout, pool closed): the server saw nothing. */
  | 'connect'
  /** The connection broke after the request may have been written (reset, closed keep-alive socket). */
  | 'sent'
  /** The server took the request but did not answer within the response timeout. */
  | 'timeout'
  /** The client went away: nobody is waiting for an answer. */
  | 'aborted';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

export function classifyFailure(err: { code?: string; name?: string }, clientAborted: boolean): FailureKind {
  if (clientAborted || err.code === 'UND_ERR_ABORTED' || err.name === 'AbortError') return 'aborted';
  if (err.code && CONNECT_CODES.has(err.code)) return 'connect';
  if (err.code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout';
  return 'sent';
}

/** RFC 9110 §9.2.2: repeating these has the same effect as sending them once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

export interface RetryQuestion {
  method: string;
  failure: FailureKind;
  /** Attempts made so far, including the one that just failed. */
  attempts: number;
  maxAttempts: number;
  /** False when the request body was streamed through and cannot be sent again. */
  bodyReplayable: boolean;
  /** The request carries an Idempotency-Key: the app answers a repeat with the stored answer. */
  keyed: boolean;
  /** Eligible servers not yet tried for this request. */
  untried: number;
  /** --retry-sent: a request that reached a server (broke or timed out after it was sent) may be resent. */
  retrySent: boolean;
}

export type RetryVerdict = { retry: true } | { retry: false; reason: RetryRefusal };
export type RetryRefusal = 'client-gone' | 'body-streamed' | 'retry-sent-off' | 'not-idempotent' | 'attempts' | 'no-other-server' | 'budget';

export interface Budget {
  tryWithdraw(): boolean;
}

export function shouldRetry(q: RetryQuestion, budget: Budget): RetryVerdict {
  if (q.failure === 'aborted') return { retry: false, reason: 'client-gone' };
  if (!q.bodyReplayable) return { retry: false, reason: 'body-streamed' };
  if (q.failure !== 'connect' && !q.retrySent) return { retry: false, reason: 'retry-sent-off' };
  // a broken connection with a key is safe to resend; a timeout is not: the first attempt may still be running
  const safe = q.failure === 'connect' || isIdempotent(q.method) || (q.failure === 'sent' && q.keyed);
  if (!safe) return { retry: false, reason: 'not-idempotent' };
  if (q.attempts >= q.maxAttempts) return { retry: false, reason: 'attempts' };
  if (q.untried <= 0) return { retry: false, reason: 'no-other-server' };
  // last, so a refused retry never spends a token
  if (!budget.tryWithdraw()) return { retry: false, reason: 'budget' };
  return { retry: true };
}

export interface RetryBudgetOptions {
  /** Retries allowed per request sent, long-run (0.2 = at most 20 % extra requests). */
  ratio: number;
  /** A small floor so a quiet proxy can still retry a few (Finagle's minRetriesPerSec). */
  minPerSecond: number;
  /** Most tokens that can pile up from past requests, so a long calm does not fund a storm. */
  maxBalance?: number;
  now?: () => number;
}

/**
 * Token bucket in the manner of Finagle's RetryBudget: each request deposits `ratio` of a
 * token, each retry withdraws one, and a separate reserve refills at `minPerSecond`.
 */
export class RetryBudget implements Budget {
  private balance = 0;
  private reserve: number;
  private reserveAt: number;
  private readonly now: () => number;
  private readonly maxBalance: number;

  constructor(private readonly opts: RetryBudgetOptions) {
    this.now = opts.now ?? Date.now;
    this.maxBalance = opts.maxBalance ?? 100;
    this.reserve = opts.minPerSecond;
    this.reserveAt = this.now();
  }

  deposit(): void {
    this.balance = Math.min(this.maxBalance, this.balance + this.opts.ratio);
  }

  tryWithdraw(): boolean {
    const t = this.now();
    this.reserve = Math.min(this.opts.minPerSecond, this.reserve + ((t - this.reserveAt) / 1000) * this.opts.minPerSecond);
    this.reserveAt = t;
    // a hair under 1 counts: five deposits of 0.2 add up to 0.9999…
    if (this.reserve >= 1 - 1e-9) {
      this.reserve -= 1;
      return true;
    }
    if (this.balance >= 1 - 1e-9) {
      this.balance -= 1;
      return true;
    }
    return false;
  }
}
