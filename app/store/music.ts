import { randomUUID } from 'node:crypto';
import { PutCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { NewSong, Song } from '../model.js';
import { batchWrite } from './batch-write.js';
import { dbError } from './db-error.js';
import { Table, type TableContext } from './table.js';

export class MusicStore extends Table<Song> {
  constructor(ctx: TableContext, name: string) {
    super(ctx, name);
  }

  async create(input: NewSong, now = new Date().toISOString()): Promise<Song> {
    const song: Song = { id: randomUUID(), artist: input.artist, title: input.title, instruments: input.instruments ?? [], createdAt: now };
    await this.call(() => this.ctx.doc.send(new PutCommand({ TableName: this.name, Item: song, ConditionExpression: 'attribute_not_exists(id)' })));
    return song;
  }

  /** Upserts whole songs (the ingest path: ids are name-based, so a rerun overwrites). */
  putMany(songs: readonly Song[]): Promise<void> {
    return batchWrite(this.ctx.doc, this.name, songs as unknown as Record<string, unknown>[], this.ctx.target);
  }

  /** Every song's id and instruments, page by page: what the similarity index is built from. */
  async *instruments(): AsyncGenerator<Pick<Song, 'id' | 'instruments'>> {
    const pages = paginateScan({ client: this.ctx.doc, pageSize: 1000 }, { TableName: this.name, ProjectionExpression: 'id, instruments' });
    try {
      for await (const page of pages) for (const item of page.Items ?? []) yield { id: String(item.id), instruments: (item.instruments as string[] | undefined) ?? [] };
    } catch (err) {
      throw dbError(err, this.ctx.target);
    }
  }
}
