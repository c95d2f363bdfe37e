import type { Song } from './model.js';
import type { Stores } from './store/index.js';

export interface SimilarSong {
  song: Song;
  score: number;
  shared: string[];
}

export interface SimilarAnswer {
  id: string;
  /** When `shoal ingest similar` last wrote this song's list; null before it ever ran for it. */
  computedAt: string | null;
  items: SimilarSong[];
}

/**
 * The stored neighbours of a song, with each neighbour's current record. Songs deleted
 * since the list was computed are left out rather than shown as dangling ids.
 */
export async function similarSongs(stores: Pick<Stores, 'music' | 'similar'>, id: string, limit: number): Promise<SimilarAnswer> {
  const entry = await stores.similar.get(id);
  if (!entry) return { id, computedAt: null, items: [] };
  const top = entry.neighbours.slice(0, limit);
  const songs = await stores.music.getMany(top.map((n) => n.id));
  const items = top.flatMap((n) => {
    const song = songs.get(n.id);
    return song ? [{ song, score: n.score, shared: n.shared }] : [];
  });
  return { id, computedAt: entry.computedAt, items };
}
