import { randomUUID } from 'node:crypto';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dbUnavailable } from '../errors.js';
import { isConditionFailed } from './db-error.js';
import { Table, type TableContext } from './table.js';

// Idempotency-Key records: one item per key, claimed before the request runs and holding
// its answer afterwards, for 24 h. A claim is a lease: the server that took it runs the
// request; a repeat meanwhile is told "in progress", and once the lease has run out (its
// server died) a repeat takes the claim over and runs the request again, with the same
// id seed so it makes the same records (see new-id.ts).

export const TTL_ATTRIBUTE = 'expiresAt';
export const KEEP_ANSWERS_S = 24 * 3600;

/** What a repeat gets back. */
export interface StoredAnswer {
  status: number;
  /** content-type and location, the headers a client acts on. */
  headers: Record<string, string>;
  body: string | null;
}

export interface IdempotencyRecord {
  id: string;
  /** Hash of method, URL, caller and body: a repeat must match it. */
  fingerprint: string;
  state: 'pending' | 'done';
  /** Who holds the claim: completing or releasing is conditional on it. */
  token: string;
  /** Ids of records the request creates derive from this. */
  seed: string;
  /** ms epoch until which a pending claim blocks repeats. */
  leaseUntil: number;
  /** s epoch: DynamoDB's TTL attribute. */
  expiresAt: number;
  answer?: StoredAnswer;
}

export type Verdict =
  | { kind: 'absent' }
  | { kind: 'mismatch' }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'in-progress'; retryAfterS: number }
  | { kind: 'stale'; record: IdempotencyRecord };

/** What a stored record means for a request with `fingerprint` at `now` (ms). */
export function classify(rec: IdempotencyRecord | undefined, fingerprint: string, now: number): Verdict {
  // TTL deletion lags (and dynalite has none): an expired record is no record
  if (!rec || rec.expiresAt * 1000 <= now) return { kind: 'absent' };
  if (rec.fingerprint !== fingerprint) return { kind: 'mismatch' };
  if (rec.state === 'done' && rec.answer) return { kind: 'replay', answer: rec.answer };
  if (rec.leaseUntil > now) return { kind: 'in-progress', retryAfterS: Math.max(1, Math.ceil((rec.leaseUntil - now) / 1000)) };
  return { kind: 'stale', record: rec };
}

export type ClaimResult = { kind: 'claimed'; token: string; seed: string } | Exclude<Verdict, { kind: 'absent' } | { kind: 'stale' }>;

export class IdempotencyStore extends Table<IdempotencyRecord> {
  constructor(
    ctx: TableContext,
    name: string,
    private readonly leaseMs: number,
  ) {
    super(ctx, name);
  }

  /** Takes the key for this request, or says why not (a stored answer, another body, a live claim). */
  async claim(key: string, fingerprint: string, now = Date.now()): Promise<ClaimResult> {
    for (let attempt = 0; attempt < 4; attempt++) {
      const token = randomUUID();
      const fresh: IdempotencyRecord = {
        id: key,
        fingerprint,
        state: 'pending',
        token,
        seed: randomUUID(),
        leaseUntil: now + this.leaseMs,
        expiresAt: Math.floor(now / 1000) + KEEP_ANSWERS_S,
      };
      if (await this.putIf(fresh, 'attribute_not_exists(id) OR expiresAt <= :now', { ':now': Math.floor(now / 1000) })) return { kind: 'claimed', token, seed: fresh.seed };
      const v = classify(await this.get(key), fingerprint, now);
      if (v.kind === 'absent') continue;
      if (v.kind !== 'stale') return v;
      // the claim's server died mid-request: take it over, keeping its seed
      if (await this.takeOver(v.record, token, now)) return { kind: 'claimed', token, seed: v.record.seed };
    }
    throw dbUnavailable(`Idempotency-Key ${key} is being claimed by too many requests at once: retry`);
  }

  /** Stores the answer under the claim; false if the claim was lost (a repeat took it over). */
  async complete(key: string, token: string, answer: StoredAnswer): Promise<boolean> {
    try {
      await this.call(() =>
        this.ctx.doc.send(
          new UpdateCommand({
            TableName: this.name,
            Key: { id: key },
            UpdateExpression: 'SET #state = :done, answer = :answer',
            ConditionExpression: '#token = :token',
            ExpressionAttributeNames: { '#state': 'state', '#token': 'token' },
            ExpressionAttributeValues: { ':done': 'done', ':answer': answer, ':token': token },
          }),
        ),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  /** Gives the key up (the request got no answer worth keeping): a repeat runs it afresh. */
  async release(key: string, token: string): Promise<void> {
    try {
      await this.call(() => this.ctx.doc.send(new DeleteCommand({ TableName: this.name, Key: { id: key }, ConditionExpression: '#token = :token', ExpressionAttributeNames: { '#token': 'token' }, ExpressionAttributeValues: { ':token': token } })));
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }

  private async takeOver(rec: IdempotencyRecord, token: string, now: number): Promise<boolean> {
    try {
      await this.call(() =>
        this.ctx.doc.send(
          new UpdateCommand({
            TableName: this.name,
            Key: { id: rec.id },
            UpdateExpression: 'SET #token = :token, leaseUntil = :lease',
            ConditionExpression: '#token = :old AND #state = :pending',
            ExpressionAttributeNames: { '#token': 'token', '#state': 'state' },
            ExpressionAttributeValues: { ':token': token, ':lease': now + this.leaseMs, ':old': rec.token, ':pending': 'pending' },
          }),
        ),
      );
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  private async putIf(item: IdempotencyRecord, condition: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.call(() => this.ctx.doc.send(new PutCommand({ TableName: this.name, Item: item, ConditionExpression: condition, ExpressionAttributeValues: values })));
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }
}
