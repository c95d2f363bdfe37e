import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SeedFiles } from './load.js';

/** The sample CSVs shipped in samples/ (20 users, 60 songs, 10 playlists). */
export function sampleFiles(): Required<SeedFiles> {
  // samples/ sits at the repo root: two levels up from app/seed/*.ts, three from dist/app/seed/*.js.
  const dir = ['../../samples/', '../../../samples/'].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((d) => existsSync(`${d}users.csv`)) ?? fileURLToPath(new URL('../../../samples/', import.meta.url));
  return { users: `${dir}users.csv`, music: `${dir}music.csv`, playlists: `${dir}playlists.csv` };
}
