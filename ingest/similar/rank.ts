// Songs ranked by the instruments they share: Jaccard similarity of instrument sets, ties
// broken by how rare the shared instruments are (summed IDF), then by id so a ranking is
// reproducible. Pure: plain data in, plain data out; `shoal ingest similar` does the I/O.

export interface SongInstruments {
  id: string;
  instruments: readonly string[];
}

export interface Neighbour {
  id: string;
  /** |A ∩ B| / |A ∪ B|, 0..1. */
  score: number;
  /** Σ log(N / df) over the shared instruments: higher means the shared ones are rarer. */
  rarity: number;
  shared: string[];
}

export interface RankStats {
  songs: number;
  /** Song pairs scored: ones that share an instrument, less those prefix filtering ruled out unread. */
  candidatePairs: number;
}

type Ranked = Pick<Neighbour, 'id' | 'score' | 'rarity'>;

/** Better first: higher score, then rarer shared instruments, then the smaller id. */
export function compareNeighbours(a: Ranked, b: Ranked): number {
  return b.score - a.score || b.rarity - a.rarity || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The inverted index instrument → songs, built once. Queries touch only the songs that share
 * an instrument with the one asked about, so the work grows with candidate pairs, not n².
 */
export class SimilarityIndex {
  private readonly ids: string[] = [];
  private readonly sets: number[][] = [];
  private readonly postings: number[][] = [];
  private readonly instrumentIds = new Map<string, number>();
  private readonly names: string[] = [];
  private idf: Float64Array = new Float64Array(0);
  // Scratch for one query: counts per song and the songs touched, reused across queries.
  private counts = new Int32Array(0);
  private rarity = new Float64Array(0);
  private touched: number[] = [];
  // Per-query "met already" marks: a stamp per query instead of clearing n entries.
  private seen = new Int32Array(0);
  private stamp = 0;
  private lastRarity = 0;
  /** Each song's instruments ordered rarest first (fewest songs), for prefix filtering. */
  private rarestFirst: number[][] = [];
  private readonly positions = new Map<string, number>();
  candidatePairs = 0;

  constructor(songs: Iterable<SongInstruments>) {
    for (const song of songs) this.add(song);
    this.finish();
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.positions.has(id);
  }

  private add(song: SongInstruments): void {
    if (this.positions.has(song.id)) return;
    const position = this.ids.length;
    const set = [...new Set(song.instruments.map((name) => this.instrumentId(name.trim())).filter((i) => i >= 0))].sort((x, y) => x - y);
    this.positions.set(song.id, position);
    this.ids.push(song.id);
    this.sets.push(set);
    for (const i of set) this.postings[i]!.push(position);
  }

  /** Case-insensitive; the first spelling seen is the one shown. -1 for a blank name. */
  private instrumentId(name: string): number {
    if (name.length === 0) return -1;
    const key = name.toLowerCase();
    let i = this.instrumentIds.get(key);
    if (i === undefined) {
      i = this.names.length;
      this.instrumentIds.set(key, i);
      this.names.push(name);
      this.postings.push([]);
    }
    return i;
  }

  private finish(): void {
    const n = this.ids.length;
    this.idf = Float64Array.from(this.postings, (p) => Math.log(n / p.length));
    this.counts = new Int32Array(n);
    this.rarity = new Float64Array(n);
    this.seen = new Int32Array(n);
    this.rarestFirst = this.sets.map((set) => [...set].sort((x, y) => this.postings[x]!.length - this.postings[y]!.length || x - y));
  }

  /**
   * The `k` songs most like `id` (never itself), best first. Exact, with prefix filtering
   * (Bayardo et al., "Scaling up all pairs similarity search"): `id`'s instruments are
   * scanned rarest first, and once j of them are done a song not yet met shares at most
   * |A| − j with it, so its Jaccard is at most (|A| − j) / |A|; when the k-th best so far
   * beats that, the common instruments' long posting lists are never read.
   */
  neighbours(id: string, k: number): Neighbour[] {
    const a = this.positions.get(id);
    if (a === undefined) return [];
    const setA = this.sets[a]!;
    const order = this.rarestFirst[a]!;
    const best = new TopK(k);
    const seen = this.seen;
    const stamp = ++this.stamp;
    seen[a] = stamp;
    for (let j = 0; j < order.length; j++) {
      if (best.full() && best.worstScore() > (setA.length - j) / setA.length) break;
      for (const b of this.postings[order[j]!]!) {
        if (seen[b] === stamp) continue;
        seen[b] = stamp;
        this.candidatePairs++;
        const setB = this.sets[b]!;
        const shared = this.intersect(setA, setB);
        best.offer(b, shared / (setA.length + setB.length - shared), this.lastRarity, this.ids[b]!);
      }
    }
    return best.sorted().map((c) => this.neighbour(a, c.position, c.score, c.rarity));
  }

  /** |A ∩ B| of two sorted instrument lists; their summed IDF is left in lastRarity. */
  private intersect(a: number[], b: number[]): number {
    let i = 0;
    let j = 0;
    let shared = 0;
    let rarity = 0;
    while (i < a.length && j < b.length) {
      const x = a[i]!;
      const y = b[j]!;
      if (x === y) {
        shared++;
        rarity += this.idf[x]!;
        i++;
        j++;
      } else if (x < y) i++;
      else j++;
    }
    this.lastRarity = rarity;
    return shared;
  }

  /** Every song sharing an instrument with `id`, as a Neighbour of `id`. */
  candidates(id: string): Neighbour[] {
    const a = this.positions.get(id);
    if (a === undefined) return [];
    this.accumulate(a);
    const { counts, rarity, touched } = this;
    const sizeA = this.sets[a]!.length;
    const out = touched.map((b) => this.neighbour(a, b, counts[b]! / (sizeA + this.sets[b]!.length - counts[b]!), rarity[b]!));
    this.reset();
    return out;
  }

  /** `id` as seen from `other`: the entry `other`'s list would hold for it. */
  private neighbour(a: number, b: number, score: number, rarity: number): Neighbour {
    return { id: this.ids[b]!, score: round(score), rarity: round(rarity), shared: this.sharedNames(this.sets[a]!, this.sets[b]!) };
  }

  /** Counts, for every song sharing an instrument with song `a`, how many and how rare. */
  private accumulate(a: number): void {
    const { counts, rarity, touched } = this;
    for (const i of this.sets[a]!) {
      const w = this.idf[i]!;
      for (const b of this.postings[i]!) {
        if (b === a) continue;
        if (counts[b] === 0) touched.push(b);
        counts[b]!++;
        rarity[b]! += w;
      }
    }
    this.candidatePairs += touched.length;
  }

  private reset(): void {
    const { counts, rarity, touched } = this;
    for (const b of touched) {
      counts[b] = 0;
      rarity[b] = 0;
    }
    touched.length = 0;
  }

  private sharedNames(a: number[], b: number[]): string[] {
    const inB = new Set(b);
    return a.filter((i) => inB.has(i)).map((i) => this.names[i]!).sort();
  }
}

interface Candidate {
  position: number;
  score: number;
  rarity: number;
  id: string;
}

/** `list` with `entry` in its place if it makes the top k (replacing an older entry for the same id). */
export function mergeNeighbour(list: readonly Neighbour[], entry: Neighbour, k: number): Neighbour[] | undefined {
  const rest = list.filter((n) => n.id !== entry.id);
  const merged = [...rest, entry].sort(compareNeighbours).slice(0, k);
  return merged.includes(entry) || rest.length !== list.length ? merged : undefined;
}

/** Keeps the best k offered so far; k is small (tens), so a sorted insert beats a heap. */
class TopK {
  private readonly items: Candidate[] = [];
  constructor(private readonly k: number) {}

  offer(position: number, score: number, rarity: number, id: string): void {
    const items = this.items;
    // Most candidates lose to the current k-th: decide that before allocating anything.
    if (items.length === this.k) {
      const worst = items[items.length - 1]!;
      if (score < worst.score || (score === worst.score && (rarity < worst.rarity || (rarity === worst.rarity && id >= worst.id)))) return;
    }
    const c = { position, score, rarity, id };
    let at = items.length;
    while (at > 0 && compareNeighbours(c, items[at - 1]!) < 0) at--;
    items.splice(at, 0, c);
    if (items.length > this.k) items.pop();
  }

  full(): boolean {
    return this.items.length === this.k;
  }

  worstScore(): number {
    return this.items[this.items.length - 1]!.score;
  }

  sorted(): Candidate[] {
    return this.items;
  }
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Every song's top k, with the work it took. */
export function rankAll(songs: readonly SongInstruments[], k: number): { lists: Map<string, Neighbour[]>; stats: RankStats } {
  const index = new SimilarityIndex(songs);
  const lists = new Map<string, Neighbour[]>();
  for (const s of songs) if (!lists.has(s.id)) lists.set(s.id, index.neighbours(s.id, k));
  return { lists, stats: { songs: index.size, candidatePairs: index.candidatePairs } };
}
