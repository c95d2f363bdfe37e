import type { Context as TraceContext } from '@opentelemetry/api';

/**
 * What a table call needs to know about the request it serves, passed explicitly from the
 * request's middleware to its store views (`Stores.within`): AsyncLocalStorage would carry
 * it for free in the code, but its promise hooks cost every request CPU.
 */
export interface RequestScope {
  /** The request's span: the parent of the span of each DynamoDB call made for it. */
  readonly trace?: TraceContext;
  /** Inside a request with an Idempotency-Key: new ids derive from its claim's seed (see newId). */
  readonly ids?: IdSeed;
}

/** The seed of one request's ids and how many it has made so far. */
export interface IdSeed {
  readonly seed: string;
  n: number;
}

/** Calls made for no request (the readiness probe, seeding, ingest): untraced, random ids. */
export const NO_SCOPE: RequestScope = {};
