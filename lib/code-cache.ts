import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { constants, Script } from 'node:vm';
import { enableCompileCache, privateDir } from './compile-cache.js';

/** A CommonJS file loaded by `loadCommonJs`, and how to keep its compiled code for next time. */
export interface Loaded {
  exports: Record<string, unknown>;
  /**
   * Writes V8's code for the file as compiled so far (call it once the work worth keeping
   * has run: functions compiled lazily are in it then) when the cache was missing or
   * refused. Never throws: a cache that cannot be written only costs the next start.
   */
  save(): void;
  /** Where the cache came from: `hit`, `miss` (none or refused), `node` (Node's own compile cache), `off`. */
  cache: 'hit' | 'miss' | 'node' | 'off';
}

const WRAP = ['(function (exports, require, module, __filename, __dirname) { ', '\n})'] as const;

/** `source`, a CommonJS file's text, as the function expression Node's loader would compile. */
export function wrapCommonJs(source: string): string {
  return WRAP[0] + source + WRAP[1];
}

/**
 * Where a build may keep `file` already wrapped (wrapCommonJs): compiled from the file as
 * read, V8 takes the text as it is, where joining the wrapper on costs a copy of the whole
 * file (a bundle's megabytes) at every start.
 */
export const wrappedPath = (file: string): string => `${file}.wrapped`;

/** The wrapped text of `file`: its wrappedPath if that is `file` wrapped (same size, plus the wrapper), else wrapped here. */
function readWrapped(file: string, size: number): string {
  const wrapped = wrappedPath(file);
  // latin1: a bundle is ASCII (scripts/bundle-app.ts), so no UTF-8 decoding, and V8 keeps one byte a character
  if (statSync(wrapped, { throwIfNoEntry: false })?.size === size + WRAP[0].length + WRAP[1].length) return readFileSync(wrapped, 'latin1');
  return wrapCommonJs(readFileSync(file, 'latin1'));
}

/** A cache directory only this user can write (compiled code from it runs as this process); saving narrows it to that. */
function trusted(dir: string): boolean {
  const st = statSync(dir, { throwIfNoEntry: false });
  return st !== undefined && st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
}

/**
 * Loads the CommonJS file `file` with its compiled code cached in `cacheDir` (undefined: no
 * cache). Node ≥ 22.1 has a compile cache of its own (module.enableCompileCache), used as is;
 * on Node 20 the file is compiled as a vm.Script with V8's cachedData, the cache named for
 * the file's size and mtime and Node's version, so a rebuilt file or another Node never
 * reads a stale one (V8 refuses a mismatch too, and the file is then compiled afresh). The
 * directory is this user's alone (0700, files 0600); a cache in one others may write is not read.
 */
export function loadCommonJs(file: string, cacheDir: string | undefined): Loaded {
  const require = createRequire(file);
  if (cacheDir && enableCompileCache(cacheDir)) return { exports: require(file) as Record<string, unknown>, save: () => (Module as { flushCompileCache?: () => void }).flushCompileCache?.(), cache: 'node' };
  if (!cacheDir) return { exports: require(file) as Record<string, unknown>, save: () => {}, cache: 'off' };

  const st = statSync(file);
  const name = `${basename(file)}-${process.version}-${process.arch}-${st.size}-${Math.trunc(st.mtimeMs)}.v8cache`;
  const cacheFile = join(cacheDir, name);
  let cachedData: Buffer | undefined;
  try {
    if (trusted(cacheDir)) cachedData = readFileSync(cacheFile);
  } catch {
    // none yet
  }
  // import() inside (of Node's own modules) goes to Node's loader, as in a module it required
  const script = new Script(readWrapped(file, st.size), { filename: file, cachedData, importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  const hit = cachedData !== undefined && !script.cachedDataRejected;
  const module = { exports: {} as Record<string, unknown>, filename: file, id: file, loaded: false };
  (script.runInThisContext() as (...a: unknown[]) => void).call(module.exports, module.exports, require, module, file, dirname(file));
  module.loaded = true;
  return {
    exports: module.exports,
    cache: hit ? 'hit' : 'miss',
    save: () => {
      if (hit) return;
      try {
        privateDir(cacheDir);
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        // Several servers may boot at once from one data dir: each writes its own file and renames.
        renameSync(tmp, cacheFile);
        for (const old of readdirSync(cacheDir)) if (old.startsWith(`${basename(file)}-`) && old.endsWith('.v8cache') && old !== name) rmSync(join(cacheDir, old), { force: true });
      } catch {
        // read-only data dir, disk full: the next start compiles again
      }
    },
  };
}
