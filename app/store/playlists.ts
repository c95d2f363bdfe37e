import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conflict, dbUnavailable } from '../errors.js';
import { MAX_PLAYLIST_SONGS, type Page, type Playlist } from '../model.js';
import { isConditionFailed } from './db-error.js';
import type { RequestScope } from './request-scope.js';
import { Table, type TableContext } from './table.js';

/**
 * As stored: `version` guards read-modify-write edits of the song list; `shape` remembers
 * which course-API field names a playlist was created with (app/compat), so reads answer in them.
 */
type StoredPlaylist = Playlist & { version: number; shape?: string };

function toApi(p: StoredPlaylist): Playlist {
  const { version: _version, shape: _shape, ...rest } = p;
  return rest;
}

export type SongEdit = { kind: 'missing' } | { kind: 'unchanged'; playlist: Playlist } | { kind: 'changed'; playlist: Playlist };

/**
 * Playlists hold an ordered set of song ids. Reference checks (owner, songs) are the
 * routes' job; this store keeps each playlist's own edits consistent under concurrency.
 */
export class PlaylistStore {
  private readonly table: PlaylistTable;

  constructor(ctx: TableContext, name: string) {
    this.table = new PlaylistTable(ctx, name);
  }

  /** This store as one request sees it (see Table.within). */
  within(scope: RequestScope): PlaylistStore {
    return Object.assign(Object.create(PlaylistStore.prototype) as PlaylistStore, this, { table: this.table.within(scope) });
  }

  async create(input: { name: string; owner?: string; songs: string[]; shape?: string }, now = new Date().toISOString()): Promise<Playlist> {
    const p: StoredPlaylist = {
      id: this.table.newId(),
      name: input.name,
      ...(input.owner ? { owner: input.owner } : {}),
      songs: [...new Set(input.songs)],
      createdAt: now,
      updatedAt: now,
      version: 1,
      ...(input.shape ? { shape: input.shape } : {}),
    };
    return toApi(await this.table.insert(p));
  }

  async get(id: string): Promise<Playlist | undefined> {
    const p = await this.table.get(id);
    return p && toApi(p);
  }

  /** The playlist with the course-API shape it was created in, if any. */
  async getShaped(id: string): Promise<{ playlist: Playlist; shape?: string } | undefined> {
    const p = await this.table.get(id);
    return p && { playlist: toApi(p), shape: p.shape };
  }

  async pageShaped(limit: number, cursor?: string): Promise<Page<{ playlist: Playlist; shape?: string }>> {
    const page = await this.table.page(limit, cursor);
    return { items: page.items.map((p) => ({ playlist: toApi(p), shape: p.shape })), next: page.next };
  }

  async page(limit: number, cursor?: string): Promise<Page<Playlist>> {
    const page = await this.table.page(limit, cursor);
    return { items: page.items.map(toApi), next: page.next };
  }

  delete(id: string): Promise<boolean> {
    return this.table.delete(id);
  }

  rename(id: string, name: string, now = new Date().toISOString()): Promise<Playlist | undefined> {
    return this.table.rename(id, name, now);
  }

  /** Appends `songId` unless already there (adding is idempotent). */
  addSong(id: string, songId: string): Promise<SongEdit> {
    return this.edit(id, (songs) => {
      if (songs.includes(songId)) return undefined;
      if (songs.length >= MAX_PLAYLIST_SONGS) throw conflict(`playlist ${id} already holds the maximum of ${MAX_PLAYLIST_SONGS} songs`);
      return [...songs, songId];
    });
  }

  /** Replaces the whole song list (duplicates dropped, order kept). */
  setSongs(id: string, songs: string[]): Promise<SongEdit> {
    const next = [...new Set(songs)];
    return this.edit(id, (cur) => (cur.length === next.length && cur.every((s, i) => s === next[i]) ? undefined : next));
  }

  removeSong(id: string, songId: string): Promise<SongEdit> {
    return this.edit(id, (songs) => (songs.includes(songId) ? songs.filter((s) => s !== songId) : undefined));
  }

  /** Read, change, write if nobody else wrote in between; a few retries under contention. */
  private async edit(id: string, change: (songs: string[]) => string[] | undefined): Promise<SongEdit> {
    const table = this.table;
    for (let attempt = 0; attempt < 8; attempt++) {
      const cur = await table.get(id);
      if (!cur) return { kind: 'missing' };
      const songs = change(cur.songs ?? []);
      if (!songs) return { kind: 'unchanged', playlist: toApi(cur) };
      const next = await table.replaceSongs(cur, songs, new Date().toISOString());
      if (next === 'gone') return { kind: 'missing' };
      if (next) return { kind: 'changed', playlist: toApi(next) };
    }
    throw dbUnavailable(`playlist ${id} is being edited by too many clients at once: retry`);
  }
}

class PlaylistTable extends Table<StoredPlaylist> {
  async rename(id: string, name: string, now: string): Promise<Playlist | undefined> {
    const renamed = await this.setFields(id, { name, updatedAt: now }, { terms: ['version = version + :one'], values: { ':one': 1 } });
    return renamed && toApi(renamed);
  }

  /** The new record, undefined if someone else changed it first, 'gone' if it was deleted. */
  async replaceSongs(cur: StoredPlaylist, songs: string[], now: string): Promise<StoredPlaylist | undefined | 'gone'> {
    try {
      const res = await this.call(() =>
        this.ctx.doc.send(
          new UpdateCommand({
            TableName: this.name,
            Key: { id: cur.id },
            UpdateExpression: 'SET songs = :songs, updatedAt = :now, version = :next',
            ConditionExpression: 'version = :version',
            ExpressionAttributeValues: { ':songs': songs, ':now': now, ':next': cur.version + 1, ':version': cur.version },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return res.Attributes as StoredPlaylist;
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
      return (await this.get(cur.id)) ? undefined : 'gone';
    }
  }
}
