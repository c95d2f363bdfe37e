import type { NewSong, Song } from '../model.js';
import { newId } from './new-id.js';
import { Table, type TableContext } from './table.js';

export class MusicStore extends Table<Song> {
  constructor(ctx: TableContext, name: string) {
    super(ctx, name);
  }

  async create(input: NewSong, now = new Date().toISOString()): Promise<Song> {
    return this.insert({ id: newId(), artist: input.artist, title: input.title, instruments: input.instruments ?? [], createdAt: now });
  }
}
