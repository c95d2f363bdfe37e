import { paginateScan } from '@aws-sdk/lib-dynamodb';
import type { NewSong, Song } from '../model.js';
import { batchWrite } from './batch-write.js';
import { dbError } from './db-error.js';
import { Table, type TableContext } from './table.js';

export class MusicStore extends Table<Song> {
  constructor(ctx: TableContext, name: string) {
    super(ctx, name);
  }

  async create(input: NewSong, now = new Date().toISOString()): Promise<Song> {
    return this.insert({ id: this.newId(), artist: input.artist, title: input.title, instruments: input.instruments ?? [], createdAt: now });
  }

  /** Changes artist and/or title; undefined when the song does not exist. */
  async update(id: string, patch: { artist?: string; title?: string }): Promise<Song | undefined> {
    if (patch.artist === undefined && patch.title === undefined) return this.get(id);
    return this.setFields(id, patch);
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
