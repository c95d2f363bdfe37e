import type { MusicStore } from '../app/store/music.js';
import type { SimilarEntry, SimilarStore } from '../app/store/similar.js';
import { compareNeighbours, mergeNeighbour, SimilarityIndex, type Neighbour, type SongInstruments } from './similar/rank.js';

export interface SimilarOptions {
  music: Pick<MusicStore, 'instruments'>;
  similar: Pick<SimilarStore, 'putMany'> & { all(): AsyncIterable<SimilarEntry> };
  /** How many neighbours each song keeps (the API's `limit` caps at this). */
  k: number;
  /** Recompute every song's list, not only the new songs' and the lists they enter. */
  full: boolean;
  now?: () => string;
}

export interface SimilarSummary {
  songs: number;
  /** Songs that had no list yet (all of them on a first or a full run). */
  fresh: number;
  /** Lists written: the fresh ones plus older ones a fresh song entered. */
  written: number;
  candidatePairs: number;
  seconds: number;
}

/**
 * Builds the inverted index over every song, then writes top-k lists. Incrementally (the
 * default) only songs without a list are ranked, and each one is merged into the stored
 * lists of the songs it shares an instrument with; `full` ranks every song again.
 */
export async function refreshSimilar(o: SimilarOptions): Promise<SimilarSummary> {
  const started = Date.now();
  const songs: SongInstruments[] = [];
  for await (const s of o.music.instruments()) songs.push(s);
  const index = new SimilarityIndex(songs);
  const stored = new Map<string, Neighbour[]>();
  if (!o.full) for await (const e of o.similar.all()) if (index.has(e.id)) stored.set(e.id, e.neighbours);
  const fresh = songs.filter((s) => !stored.has(s.id));
  const lists = new Map<string, Neighbour[]>();
  for (const a of fresh) {
    if (stored.size === 0) {
      lists.set(a.id, index.neighbours(a.id, o.k));
      continue;
    }
    const candidates = index.candidates(a.id);
    lists.set(a.id, [...candidates].sort(compareNeighbours).slice(0, o.k));
    for (const c of candidates) {
      const old = lists.get(c.id) ?? stored.get(c.id);
      if (!old || !stored.has(c.id)) continue;
      // Similarity is symmetric: `a` as seen from `c` has the same score and shared set.
      const merged = mergeNeighbour(old, { ...c, id: a.id }, o.k);
      if (merged) lists.set(c.id, merged);
    }
  }
  const computedAt = o.now?.() ?? new Date().toISOString();
  await o.similar.putMany([...lists].map(([id, neighbours]) => ({ id, neighbours, computedAt })));
  return { songs: index.size, fresh: fresh.length, written: lists.size, candidatePairs: index.candidatePairs, seconds: (Date.now() - started) / 1000 };
}
