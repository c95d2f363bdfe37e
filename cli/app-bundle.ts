import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCommonJs } from '../lib/code-cache.js';

/** dist/cli/app.cjs: `shoal app` and everything it imports in one file (scripts/bundle-app.ts). */
const BUNDLE = fileURLToPath(new URL('./app.cjs', import.meta.url));
const MEMORY = ':memory:';

/**
 * Where the compiled code is cached: `<data dir>/compile-cache`. The data dir is looked up the
 * way `shoal app` reads it (--data-dir, SHOAL_DATA_DIR, .shoal) before its flags are parsed,
 * since the flags' parser is in the bundle; a bad value is reported by that parser, here it
 * only means no cache. An in-memory data dir has no cache.
 */
export function codeCacheDir(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  let dir = env.SHOAL_DATA_DIR || '.shoal';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir' && argv[i + 1] !== undefined) dir = argv[++i]!;
    else if (a.startsWith('--data-dir=')) dir = a.slice('--data-dir='.length);
  }
  return dir === MEMORY || dir === '' ? undefined : join(resolve(dir), 'compile-cache');
}

/**
 * Runs `shoal app` from the bundle (false when the build made none, or SHOAL_APP_BUNDLE=off):
 * one file to read and compile instead of hundreds of modules to resolve, read and compile
 * one by one, its compiled code kept once the app serves.
 */
export async function runAppBundle(argv: string[]): Promise<boolean> {
  if (process.env.SHOAL_APP_BUNDLE === 'off' || !existsSync(BUNDLE)) return false;
  const loaded = loadCommonJs(BUNDLE, codeCacheDir(argv.slice(2)));
  await (loaded.exports.main as (argv: string[]) => Promise<void>)(argv);
  loaded.save();
  return true;
}
