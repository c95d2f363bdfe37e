import { randomUUID } from 'node:crypto';
import { uuidV5 } from '../seed/ids.js';
import type { IdSeed } from './request-scope.js';

// Ids for new records. Inside a request that carries an Idempotency-Key the ids derive from
// the key's seed, so a re-run of the same request (after its first run died between storing
// a record and storing the answer) makes the same ids, and the store's "must not exist" put
// finds the record the first run wrote instead of making a second one.

/** A new record id: the nth of a seeded request is the same on every run of it. */
export function newId(ids: IdSeed | undefined): string {
  return ids ? uuidV5(`${ids.seed}:${ids.n++}`) : randomUUID();
}
