import { Prng } from '../../fuzzer/prng.js';
import { GM_PROGRAMS, PERCUSSION } from '../../ingest/midi/gm-instruments.js';
import type { SongInstruments } from '../../ingest/similar/rank.js';
import { uuidV5 } from '../../app/seed/ids.js';

const INSTRUMENTS = [PERCUSSION, ...GM_PROGRAMS];

/**
 * Songs with 2–8 instruments each, drawn from the 129 General MIDI sounds with Zipf weights
 * (exponent `skew`): a few instruments (piano, drums, bass) are in many songs, most are
 * rare, as in real MIDI collections. Seeded, so every run ranks the same songs.
 */
export function syntheticSongs(n: number, seed = 756, skew = 1.1): SongInstruments[] {
  const prng = new Prng(seed);
  const weights = INSTRUMENTS.map((_, i) => 1 / (i + 1) ** skew);
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  weights.reduce((acc, w) => (cumulative.push((acc + w) / total), acc + w), 0);
  const draw = () => {
    const u = prng.next();
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return INSTRUMENTS[lo]!;
  };
  const songs: SongInstruments[] = [];
  for (let i = 0; i < n; i++) {
    const set = new Set<string>();
    const want = prng.int(2, 8);
    while (set.size < want) set.add(draw());
    songs.push({ id: uuidV5(`bench-song-${i}`), instruments: [...set] });
  }
  return songs;
}
