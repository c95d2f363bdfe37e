import { createHash } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { Logger } from '../../lib/log.js';
import { idempotencyKeyInProgress, idempotencyKeyReused, invalidIdempotencyKey } from '../errors.js';
import type { StoredAnswer } from '../store/idempotency.js';
import type { Stores } from '../store/index.js';
import { errorBody, toHttpError } from './error-mapper.js';
import { storesOf } from './request-stores.js';
import { traceFields, traceOf } from './tracing.js';

const METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// one value: Node joins a repeated header with ", ", which the space rules out
const KEY = /^[\x21-\x7e]{1,255}$/;
/** An answer bigger than this is not kept (DynamoDB items hold 400 KB); a repeat runs again. */
const MAX_ANSWER_BYTES = 256 * 1024;
/** Answers about the caller or the moment, not the request: a retry (with new credentials, later) runs afresh. */
const NOT_KEPT = new Set([401, 403, 408, 429]);

/** What a repeat must match: method, URL, caller (hashed credentials) and the parsed body. */
export function fingerprint(method: string, url: string, authorization: string, body: unknown): string {
  const caller = authorization ? createHash('sha256').update(authorization).digest('hex') : '';
  return createHash('sha256').update(`${method}\n${url}\n${caller}\n${JSON.stringify(body ?? null)}`).digest('hex');
}

function answerOf(ctx: Context): StoredAnswer {
  const headers: Record<string, string> = {};
  for (const h of ['content-type', 'location']) {
    const v = ctx.response.get(h);
    if (v) headers[h] = v;
  }
  const b: unknown = ctx.body;
  const body = b == null ? null : typeof b === 'string' ? b : Buffer.isBuffer(b) ? b.toString('utf8') : JSON.stringify(b);
  return { status: ctx.status, headers, body };
}

/** What `idempotencyKey` leaves for the write step: the request's key and what storing its answer needs. */
interface KeyedRequest {
  key: string;
  stores: Stores;
  log: Logger;
}

/**
 * Reads `Idempotency-Key` on POST/PUT/PATCH/DELETE: a malformed key is a 400 at once; a good
 * one is left on the request for `idempotent`, which the write routes run once their input is
 * checked (see accepts). Nothing is claimed here: a request that is refused (no route, 401,
 * a bad body) never touches the idempotency table, so a retry with a fixed body runs normally.
 */
export function idempotencyKey(stores: Stores, log: Logger): Middleware {
  return (ctx, next) => {
    if (!METHODS.has(ctx.method)) return next();
    const key = ctx.get('idempotency-key');
    if (!key) return next();
    if (!KEY.test(key)) throw invalidIdempotencyKey();
    ctx.state.idempotency = { key, stores, log } satisfies KeyedRequest;
    return next();
  };
}

/**
 * The write itself under its `Idempotency-Key`, when the request has one: the first request
 * with a key claims it and runs; its answer (2xx-4xx but 401/403/408/429) is stored for 24 h
 * and a repeat gets that answer again, marked `Idempotent-Replayed: true`. The same key with
 * another request is a 409; a repeat while the first still runs is a 409 with Retry-After.
 * A 5xx releases the key, so a retry runs afresh.
 */
export async function idempotent(ctx: Context, next: () => Promise<unknown>): Promise<void> {
  const keyed = ctx.state.idempotency as KeyedRequest | undefined;
  if (!keyed) {
    await next();
    return;
  }
  const { key, stores, log } = keyed;
  const store = storesOf(ctx).idempotency;
  const claim = await store.claim(key, fingerprint(ctx.method, ctx.url, ctx.get('authorization'), ctx.state.body));
  if (claim.kind === 'mismatch') throw idempotencyKeyReused();
  if (claim.kind === 'in-progress') {
    ctx.set('Retry-After', String(claim.retryAfterS));
    throw idempotencyKeyInProgress();
  }
  if (claim.kind === 'replay') {
    const a = claim.answer;
    ctx.status = a.status;
    for (const [k, v] of Object.entries(a.headers)) ctx.set(k, v);
    ctx.set('Idempotent-Replayed', 'true');
    if (a.body !== null) ctx.body = a.body;
    return;
  }

  // Store what the client is about to get. A failure to store is logged, not the
  // client's problem: the work is done, and a repeat after the lease runs it again safely.
  const settle = async (answer: StoredAnswer) => {
    try {
      const keep = answer.status < 500 && !NOT_KEPT.has(answer.status) && Buffer.byteLength(answer.body ?? '') <= MAX_ANSWER_BYTES;
      if (!keep) await store.release(key, claim.token);
      else if (!(await store.complete(key, claim.token, answer))) log.warn({ ...traceFields(ctx), key }, 'idempotency claim was taken over before the answer was stored');
    } catch (err) {
      log.warn({ ...traceFields(ctx), key, err: (err as Error).message }, 'could not store the answer for an Idempotency-Key');
    }
  };
  try {
    // the request's new ids derive from the claim's seed (see newId)
    ctx.state.stores = stores.within({ trace: traceOf(ctx), ids: { seed: claim.seed, n: 0 } });
    await next();
  } catch (thrown) {
    const err = toHttpError(thrown);
    await settle({ status: err.status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(errorBody(err)) });
    throw thrown;
  }
  await settle(answerOf(ctx));
}
