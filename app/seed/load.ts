import { ShoalError } from '../../lib/errors.js';
import { id as idSchema } from '../model.js';
import { batchWrite } from '../store/batch-write.js';
import { Table, type TableContext } from '../store/table.js';
import type { TableNames } from '../store/tables.js';
import { readCsv } from './csv.js';
import { uuidV5 } from './ids.js';
import { KINDS, type Kind, type SeedTable } from './kinds.js';

type Item = Record<string, unknown>;

export type SeedFiles = Partial<Record<SeedTable, string>>;

export interface SeedReport {
  table: string;
  file: string;
  rows: number;
  written: number;
  unchanged: number;
  skipped: number;
}

export interface SeedOptions {
  doc: TableContext['doc'];
  client: TableContext['client'];
  target: string;
  names: TableNames;
  files: SeedFiles;
  /** A row that was skipped, with its line number. */
  onBadRow(file: string, line: number, message: string): void;
  /** Rows handled so far in `file`. */
  onProgress?(file: string, done: number): void;
  now?: string;
}

interface Pending {
  line: number;
  id: string;
  input: Item;
}

const BATCH = 100;

/**
 * Loads CSVs into the tables: users and music first, then playlists (whose owner and
 * songs must exist, in this run or already stored). Idempotent: rows carry ids (or get a
 * name-based one), an item that already matches is not written again.
 */
export async function seed(opts: SeedOptions): Promise<SeedReport[]> {
  const known: Record<SeedTable, Set<string>> = { users: new Set(), music: new Set(), playlists: new Set() };
  const reports: SeedReport[] = [];
  for (const table of ['users', 'music', 'playlists'] as const) {
    const file = opts.files[table];
    if (file) reports.push(await loadFile(opts, KINDS[table], file, known));
  }
  return reports;
}

async function loadFile(opts: SeedOptions, kind: Kind, file: string, known: Record<SeedTable, Set<string>>): Promise<SeedReport> {
  const ctx = { doc: opts.doc, client: opts.client, target: opts.target };
  const table = new Table<Item & { id: string }>(ctx, opts.names[kind.table]);
  const report: SeedReport = { table: table.name, file, rows: 0, written: 0, unchanged: 0, skipped: 0 };
  const now = opts.now ?? new Date().toISOString();
  const bad = (line: number, message: string) => {
    report.skipped++;
    opts.onBadRow(file, line, message);
  };
  const seen = new Map<string, number>();
  let batch: Pending[] = [];
  let headerChecked = false;

  const flush = async () => {
    const rows = kind.table === 'playlists' ? await withReferences(opts, batch, known, bad) : batch;
    batch = [];
    const existing = await table.getMany(rows.map((r) => r.id));
    const items: Item[] = [];
    for (const r of rows) {
      const old = existing.get(r.id);
      if (old && JSON.stringify(kind.content(old)) === JSON.stringify(kind.content(r.input))) report.unchanged++;
      else items.push(kind.item(r.id, r.input, old, now));
      known[kind.table].add(r.id);
    }
    await batchWrite(opts.doc, table.name, items, opts.target);
    report.written += items.length;
    opts.onProgress?.(file, report.rows);
  };

  for await (const { line, record } of readCsv(file, (p) => (report.rows++, bad(p.line, p.message)))) {
    if (!headerChecked) {
      headerChecked = true;
      const missing = kind.required.filter((c) => !(c in record));
      if (missing.length) throw new ShoalError('SHOAL_ERR_SEED_COLUMNS', `${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (needs ${[...kind.required, 'and optionally id'].join(', ')})`, 400);
    }
    report.rows++;
    const parsed = kind.schema.safeParse(kind.input(record));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      bad(line, issue.path.length && !issue.message.startsWith(String(issue.path[0])) ? `${issue.path.join('.')}: ${issue.message}` : issue.message);
      continue;
    }
    const input = parsed.data as Item;
    let id: string;
    if (record.id) {
      const res = idSchema.safeParse(record.id);
      if (!res.success) {
        bad(line, `id ${JSON.stringify(record.id)} is not a UUID`);
        continue;
      }
      id = res.data;
    } else {
      id = uuidV5(`${kind.table}:${JSON.stringify(kind.content(input))}`);
    }
    const first = seen.get(id);
    if (first !== undefined) {
      bad(line, `duplicate id ${id} (first on line ${first})`);
      continue;
    }
    seen.set(id, line);
    batch.push({ line, id, input });
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length) await flush();
  return report;
}

/** Drops (and reports) playlist rows whose owner or songs exist neither in this run nor stored. */
async function withReferences(opts: SeedOptions, rows: Pending[], known: Record<SeedTable, Set<string>>, bad: (line: number, message: string) => void): Promise<Pending[]> {
  const ctx = { doc: opts.doc, client: opts.client, target: opts.target };
  const users = new Table<{ id: string }>(ctx, opts.names.users);
  const music = new Table<{ id: string }>(ctx, opts.names.music);
  const owners = rows.map((r) => r.input.owner as string | undefined).filter((o): o is string => !!o && !known.users.has(o));
  const songs = rows.flatMap((r) => (r.input.songs as string[] | undefined) ?? []).filter((s) => !known.music.has(s));
  const [storedUsers, storedSongs] = await Promise.all([users.getMany(owners), music.getMany(songs)]);
  return rows.filter((r) => {
    const owner = r.input.owner as string | undefined;
    if (owner && !known.users.has(owner) && !storedUsers.has(owner)) {
      bad(r.line, `owner ${owner} is not a known user`);
      return false;
    }
    const missing = ((r.input.songs as string[] | undefined) ?? []).find((s) => !known.music.has(s) && !storedSongs.has(s));
    if (missing) {
      bad(r.line, `song ${missing} is not a known song`);
      return false;
    }
    return true;
  });
}
