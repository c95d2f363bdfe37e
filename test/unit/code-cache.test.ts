import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { codeCacheDir } from '../../cli/app-bundle.js';
import { loadCommonJs, wrapCommonJs, wrappedPath } from '../../lib/code-cache.js';

t.test('the code cache lives in the data dir shoal app will use: --data-dir, SHOAL_DATA_DIR, .shoal; none in memory', async (t) => {
  t.equal(codeCacheDir(['app', '--port', '0'], {}), resolve('.shoal', 'compile-cache'));
  t.equal(codeCacheDir(['app'], { SHOAL_DATA_DIR: '/srv/shoal' }), '/srv/shoal/compile-cache');
  t.equal(codeCacheDir(['app', '--data-dir', '/a'], { SHOAL_DATA_DIR: '/srv/shoal' }), '/a/compile-cache', 'the flag wins over the environment');
  t.equal(codeCacheDir(['app', '--data-dir=/b'], {}), '/b/compile-cache');
  t.equal(codeCacheDir(['app', '--data-dir', ':memory:'], {}), undefined);
});

t.test('a CommonJS file runs with its exports, require and __dirname; its second load reads the cache the first wrote', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-code-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bundle.cjs');
  writeFileSync(file, "const { join } = require('node:path'); exports.where = join(__dirname, 'x'); exports.twice = (n) => n * 2;\n");
  const cache = join(dir, 'cache');

  const first = loadCommonJs(file, cache);
  t.equal(first.exports.where, join(dir, 'x'));
  t.equal((first.exports.twice as (n: number) => number)(21), 42);
  // Node ≥ 22 keeps its own compile cache there; Node 20 this loader's
  if (first.cache === 'node') return;
  t.equal(first.cache, 'miss');
  first.save();
  t.equal(readdirSync(cache).filter((f) => f.endsWith('.v8cache')).length, 1, 'one cache file');

  const second = loadCommonJs(file, cache);
  t.equal(second.cache, 'hit');
  t.equal((second.exports.twice as (n: number) => number)(4), 8);

  // A rebuilt file gets a cache of its own; the stale one is removed when it is written.
  writeFileSync(file, 'exports.twice = (n) => n + n; exports.rebuilt = true;\n');
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  const third = loadCommonJs(file, cache);
  t.equal(third.cache, 'miss');
  t.equal(third.exports.rebuilt, true);
  third.save();
  t.equal(readdirSync(cache).filter((f) => f.endsWith('.v8cache')).length, 1, 'the stale cache is gone');

  t.equal(loadCommonJs(file, undefined).cache, 'off');
  t.notOk(existsSync(join(dir, 'undefined')));
});

t.test("the cache is this user's alone: its directory 0700 and files 0600, and one that others may write is not read", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-code-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bundle.cjs');
  writeFileSync(file, 'exports.n = 1;\n');
  const cache = join(dir, 'data', 'compile-cache');
  const first = loadCommonJs(file, cache);
  first.save();
  t.equal(statSync(cache).mode & 0o777, 0o700, 'directory 0700');
  // Node ≥ 22 writes its own files there
  if (first.cache === 'node') return;
  for (const f of readdirSync(cache)) t.equal(statSync(join(cache, f)).mode & 0o777, 0o600, `${f} 0600`);
  t.equal(loadCommonJs(file, cache).cache, 'hit');

  chmodSync(cache, 0o777);
  const loose = loadCommonJs(file, cache);
  t.equal(loose.cache, 'miss', 'a world-writable cache is not read');
  loose.save();
  t.equal(statSync(cache).mode & 0o777, 0o700, 'saving narrows it again');
  t.equal(loadCommonJs(file, cache).cache, 'hit');
});

t.test('a build may keep the file already wrapped beside it: that text is compiled, and a stale one is ignored', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-code-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bundle.cjs');
  writeFileSync(file, 'exports.from = "file";\n');
  writeFileSync(wrappedPath(file), wrapCommonJs('exports.from = "wrap";\n'));
  const viaWrapped = loadCommonJs(file, join(dir, 'cache'));
  if (viaWrapped.cache === 'node') return;
  t.equal(viaWrapped.exports.from, 'wrap', 'the wrapped twin, same size plus the wrapper, is what runs');
  writeFileSync(wrappedPath(file), wrapCommonJs('exports.from = "stale, longer";\n'));
  t.equal(loadCommonJs(file, join(dir, 'cache2')).exports.from, 'file', 'a twin of another size is not used');
});
