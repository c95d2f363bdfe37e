import { BatchWriteCommand, type BatchWriteCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dbError } from './db-error.js';

const WRITE_BATCH = 25;
const MAX_ATTEMPTS = 12;
const THROTTLED = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * BatchWriteItem in groups of 25. Unprocessed items and throttled calls are retried with
 * exponential back-off (DynamoDB's advice for both); any other failure is mapped to a 503.
 */
export async function batchWrite(doc: DynamoDBDocumentClient, tableName: string, items: readonly Record<string, unknown>[], target: string): Promise<void> {
  for (let i = 0; i < items.length; i += WRITE_BATCH) {
    let requests = items.slice(i, i + WRITE_BATCH).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw dbError(Object.assign(new Error('BatchWrite kept leaving items unprocessed'), { name: 'ThrottlingException' }), target);
      if (attempt > 0) await sleep(Math.min(50 * 2 ** attempt, 2000));
      let res: BatchWriteCommandOutput;
      try {
        res = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
      } catch (err) {
        if (THROTTLED.has((err as Error).name)) continue;
        throw dbError(err, target);
      }
      requests = (res.UnprocessedItems?.[tableName] ?? []) as typeof requests;
    }
  }
}
