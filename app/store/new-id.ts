import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { uuidV5 } from '../seed/ids.js';

// Ids for new records. Inside a request that carries an Idempotency-Key the ids derive from
// the key's seed, so a re-run of the same request (after its first run died between storing
// a record and storing the answer) makes the same ids, and the store's "must not exist" put
// finds the record the first run wrote instead of making a second one.

const scope = new AsyncLocalStorage<{ seed: string; n: number }>();

/** Runs `fn` with ids derived from `seed`: the nth new id of each run is the same. */
export function withIdSeed<T>(seed: string, fn: () => T): T {
  return scope.run({ seed, n: 0 }, fn);
}

export function newId(): string {
  const s = scope.getStore();
  return s ? uuidV5(`${s.seed}:${s.n++}`) : randomUUID();
}

/** True when new ids repeat across runs of this request: an existing record is then our own. */
export function idsRepeat(): boolean {
  return scope.getStore() !== undefined;
}
