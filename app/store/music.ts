import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { NewSong, Song } from '../model.js';
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
}
