import type { Neighbour } from '../../ingest/similar/rank.js';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from './batch-write.js';
import { dbError } from './db-error.js';
import { Table } from './table.js';

/** One song's precomputed neighbours, best first, as `shoal ingest similar` left them. */
export interface SimilarEntry {
  id: string;
  neighbours: Neighbour[];
  computedAt: string;
}

export class SimilarStore extends Table<SimilarEntry> {
  putMany(entries: readonly SimilarEntry[]): Promise<void> {
    return batchWrite(this.ctx.doc, this.name, entries as unknown as Record<string, unknown>[], this.ctx.target);
  }

  async *all(): AsyncGenerator<SimilarEntry> {
    try {
      for await (const page of paginateScan({ client: this.ctx.doc, pageSize: 1000 }, { TableName: this.name })) yield* (page.Items ?? []) as SimilarEntry[];
    } catch (err) {
      throw dbError(err, this.ctx.target);
    }
  }
}
