import { CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ShoalError } from '../../lib/errors.js';
import { dbError } from './db-error.js';
import type { TableNames } from './table-names.js';
import { TTL_ATTRIBUTE } from './idempotency.js';

export { DEFAULT_TABLE_PREFIX, tableNames, type TableNames } from './table-names.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Per table with a TTL attribute: whether DynamoDB expires its items itself. */
export type TtlState = 'enabled' | 'unsupported';

/**
 * Creates the tables (hash key `id`, on-demand billing) and turns on TTL where a table has
 * one. Idempotent and safe when several processes run it at once: "already exists" counts
 * as success, then every table is waited on until ACTIVE.
 */
export async function createTables(
  client: DynamoDBClient,
  names: TableNames,
  target: string,
  timeoutMs = 60_000,
): Promise<{ created: string[]; existing: string[]; ttl: Record<string, TtlState> }> {
  const created: string[] = [];
  const existing: string[] = [];
  const ttl: Record<string, TtlState> = {};
  try {
    for (const name of Object.values(names)) {
      try {
        await client.send(
          new CreateTableCommand({
            TableName: name,
            AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
        created.push(name);
      } catch (err) {
        if ((err as Error).name !== 'ResourceInUseException') throw err;
        existing.push(name);
      }
    }
    const deadline = Date.now() + timeoutMs;
    for (const name of Object.values(names)) {
      for (;;) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
        if (Table?.TableStatus === 'ACTIVE') break;
        if (Date.now() > deadline) throw new ShoalError('SHOAL_ERR_TABLE_TIMEOUT', `table ${name} is still ${Table?.TableStatus} after ${timeoutMs} ms`);
        await sleep(250);
      }
    }
    ttl[names.idempotency] = await enableTtl(client, names.idempotency, TTL_ATTRIBUTE);
  } catch (err) {
    throw dbError(err, target);
  }
  return { created, existing, ttl };
}

/**
 * Turns on TTL for `attribute` unless it is on. An endpoint without TTL (dynalite) is fine:
 * readers treat an expired item as absent, since DynamoDB itself deletes them only lazily.
 */
async function enableTtl(client: DynamoDBClient, table: string, attribute: string): Promise<TtlState> {
  try {
    const { TimeToLiveDescription: d } = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
    if (d?.TimeToLiveStatus === 'ENABLED' || d?.TimeToLiveStatus === 'ENABLING') return 'enabled';
    await client.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: attribute, Enabled: true } }));
    return 'enabled';
  } catch (err) {
    if ((err as Error).name === 'UnknownOperationException') return 'unsupported';
    throw err;
  }
}

/** Readiness: every table exists and answers. Throws the mapped 503 error otherwise. */
export async function probeTables(client: DynamoDBClient, names: TableNames, target: string): Promise<void> {
  try {
    await Promise.all(Object.values(names).map((name) => client.send(new DescribeTableCommand({ TableName: name }))));
  } catch (err) {
    throw dbError(err, target);
  }
}
