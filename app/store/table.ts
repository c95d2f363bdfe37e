import { BatchGetItemCommand, type BatchGetItemCommandOutput, DeleteItemCommand, GetItemCommand, PutItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Page } from '../model.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { dbError, isConditionFailed } from './db-error.js';
import { sendUnder } from '../dynamodb/tracing.js';
import { newId } from './new-id.js';
import { NO_SCOPE, type RequestScope } from './request-scope.js';

export interface TableContext {
  /** The Document client: conditional updates, scans, batch writes. */
  doc: DynamoDBDocumentClient;
  /**
   * The plain client, its middleware resolved once per command class (see openDynamo): the
   * single-item reads and writes every request makes go through it, marshalled here, with
   * no Document-client layer and no per-request middleware stack.
   */
  client: DynamoDBClient;
  /** What the client talks to, for error messages. */
  target: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// As the Document client is configured (openDynamo): an undefined field is left out.
const MARSHALL = { removeUndefinedValues: true };
const key = (id: string): Record<string, AttributeValue> => ({ id: { S: id } });

/** What every table keyed by `id` can do; the per-resource stores add their writes. */
export class Table<T extends { id: string }> {
  protected scope: RequestScope = NO_SCOPE;

  constructor(
    protected readonly ctx: TableContext,
    readonly name: string,
  ) {}

  /**
   * This table as one request sees it (its span, its id seed): a copy sharing all the rest.
   * A copy of the same class and fields, not Object.create(this): every view then has the
   * shared instance's shape, so the table's code stays monomorphic.
   */
  within(scope: RequestScope): this {
    return Object.assign(Object.create(Object.getPrototypeOf(this) as object) as this, this, { scope });
  }

  /** An id for a new record (derived from the request's seed when it has one). */
  newId(): string {
    return newId(this.scope.ids);
  }

  /** Runs one SDK call (traced under the request's span), mapping DynamoDB's own failures to 503s. */
  protected async call<R>(fn: () => Promise<R>): Promise<R> {
    try {
      return await sendUnder(this.scope.trace, fn);
    } catch (err) {
      throw dbError(err, this.ctx.target);
    }
  }

  /**
   * Writes a new record (its id must be free). When the id repeats because this is a re-run
   * of an idempotent request, the record its first run wrote is the answer: no second one.
   */
  async insert(item: T): Promise<T> {
    try {
      await this.call(() => this.ctx.client.send(new PutItemCommand({ TableName: this.name, Item: marshall(item, MARSHALL), ConditionExpression: 'attribute_not_exists(id)' })));
      return item;
    } catch (err) {
      // new ids repeat across runs of a seeded request: an existing record is then our own
      if (!isConditionFailed(err) || !this.scope.ids) throw err;
      const first = await this.get(item.id);
      if (!first) throw err;
      return first;
    }
  }

  async get(id: string): Promise<T | undefined> {
    const res = await this.call(() => this.ctx.client.send(new GetItemCommand({ TableName: this.name, Key: key(id), ConsistentRead: true })));
    return res.Item && (unmarshall(res.Item) as T);
  }

  /**
   * Sets `fields` (undefined ones left alone) on an existing record, plus any `extra` terms
   * (a counter bump), and answers the record as it is now; undefined when there is none.
   */
  protected async setFields(id: string, fields: Record<string, unknown>, extra?: { terms: string[]; values: Record<string, unknown> }): Promise<T | undefined> {
    const sets = Object.entries(fields).filter(([, v]) => v !== undefined);
    try {
      const res = await this.call(() =>
        this.ctx.doc.send(
          new UpdateCommand({
            TableName: this.name,
            Key: { id },
            UpdateExpression: `SET ${[...sets.map(([k]) => `#${k} = :${k}`), ...(extra?.terms ?? [])].join(', ')}`,
            ConditionExpression: 'attribute_exists(id)',
            ExpressionAttributeNames: Object.fromEntries(sets.map(([k]) => [`#${k}`, k])),
            ExpressionAttributeValues: { ...Object.fromEntries(sets.map(([k, v]) => [`:${k}`, v])), ...extra?.values },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return res.Attributes as T;
    } catch (err) {
      if (isConditionFailed(err)) return undefined;
      throw err;
    }
  }

  /** Deletes if present; false when there was nothing to delete. */
  async delete(id: string): Promise<boolean> {
    try {
      await this.call(() => this.ctx.client.send(new DeleteItemCommand({ TableName: this.name, Key: key(id), ConditionExpression: 'attribute_exists(id)' })));
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  }

  async page(limit: number, cursor?: string): Promise<Page<T>> {
    const start = decodeCursor(cursor);
    const res = await this.call(() => this.ctx.client.send(new ScanCommand({ TableName: this.name, Limit: limit, ExclusiveStartKey: start && key(start.id) })));
    return { items: (res.Items ?? []).map((i) => unmarshall(i) as T), next: encodeCursor(res.LastEvaluatedKey && unmarshall(res.LastEvaluatedKey)) };
  }

  /** The stored records for `ids` (batches of 100, unprocessed keys retried), by id. */
  async getMany(ids: readonly string[]): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, AttributeValue>[] | undefined = unique.slice(i, i + 100).map(key);
      for (let attempt = 0; keys?.length; attempt++) {
        if (attempt > 0) await sleep(Math.min(50 * 2 ** attempt, 1000));
        const req = { [this.name]: { Keys: keys, ConsistentRead: true } };
        const res: BatchGetItemCommandOutput = await this.call(() => this.ctx.client.send(new BatchGetItemCommand({ RequestItems: req })));
        for (const raw of res.Responses?.[this.name] ?? []) {
          const item = unmarshall(raw) as T;
          found.set(item.id, item);
        }
        keys = res.UnprocessedKeys?.[this.name]?.Keys;
        if (attempt > 8 && keys?.length) throw dbError(Object.assign(new Error('BatchGet kept leaving keys unprocessed'), { name: 'ThrottlingException' }), this.ctx.target);
      }
    }
    return found;
  }
}
