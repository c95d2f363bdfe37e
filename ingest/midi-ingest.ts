import { uuidV5 } from '../app/seed/ids.js';
import type { Song } from '../app/model.js';
import type { MusicStore } from '../app/store/music.js';
import type { ParserPool } from './midi/parser-pool.js';
import type { MidiSource, SourceFile } from './sources/source.js';

export interface IngestOptions {
  source: MidiSource;
  music: Pick<MusicStore, 'getMany' | 'putMany'>;
  parser: ParserPool;
  /** Files read and parsed at once (the parser pool's size is what makes parsing parallel). */
  inFlight: number;
  onCorrupt(file: SourceFile, reason: string): void;
  onProgress?(done: number, total: number): void;
  now?: () => string;
}

export interface IngestSummary {
  files: number;
  ingested: number;
  unchanged: number;
  corrupt: number;
  seconds: number;
}

const CHUNK = 100;

/** The song id for an object: name-based, so a rerun or a second machine upserts the same song. */
export const songIdFor = (uri: string) => uuidV5(`midi:${uri}`);

/**
 * Lists the source, skips files whose stored song has the same tag (resumable: a rerun after
 * a crash or on an unchanged source writes nothing), parses the rest in the pool and upserts
 * their songs in batches. A corrupt file is reported and skipped; the rest go on.
 */
export async function ingestMidi(o: IngestOptions): Promise<IngestSummary> {
  const started = Date.now();
  const files: SourceFile[] = [];
  for await (const f of o.source.list()) files.push(f);
  const summary: IngestSummary = { files: files.length, ingested: 0, unchanged: 0, corrupt: 0, seconds: 0 };
  let done = 0;
  o.onProgress?.(0, files.length);
  for (let i = 0; i < files.length; i += CHUNK) {
    const chunk = files.slice(i, i + CHUNK);
    const stored = await o.music.getMany(chunk.map((f) => songIdFor(f.uri)));
    const changed = chunk.filter((f) => stored.get(songIdFor(f.uri))?.sourceTag !== f.tag);
    summary.unchanged += chunk.length - changed.length;
    const songs = await mapLimited(changed, o.inFlight, async (f) => {
      const song = await readOne(o, f, stored.get(songIdFor(f.uri)));
      o.onProgress?.(++done + summary.unchanged, files.length);
      return song;
    });
    const good = songs.filter((s): s is Song => s !== undefined);
    summary.corrupt += songs.length - good.length;
    await o.music.putMany(good);
    summary.ingested += good.length;
    o.onProgress?.(done + summary.unchanged, files.length);
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

async function readOne(o: IngestOptions, f: SourceFile, existing: Song | undefined): Promise<Song | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await o.source.read(f);
  } catch (err) {
    o.onCorrupt(f, `cannot read: ${(err as Error).message}`);
    return undefined;
  }
  const parsed = await o.parser.parse(bytes, f.name);
  if ('corrupt' in parsed) {
    o.onCorrupt(f, parsed.corrupt);
    return undefined;
  }
  const { title, artist, instruments } = parsed.song;
  return { id: songIdFor(f.uri), title, artist, instruments, createdAt: existing?.createdAt ?? (o.now?.() ?? new Date().toISOString()), source: f.uri, sourceTag: f.tag };
}

/** `fn` over `items` with at most `limit` running at once, results in input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
