import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import t from 'tap';
import { applyPatch, PATCHES } from '../../scripts/bundle-patches.js';

t.test("each bundle patch finds its text once in the installed package (an upgrade that moves it fails here, not silently slower)", async (t) => {
  for (const patch of PATCHES) {
    const source = readFileSync(patch.file, 'utf8');
    const patched = applyPatch(source, patch);
    t.ok(patched.includes(patch.replace), patch.file);
    t.equal(patched.length - source.length, patch.replace.length - patch.find.length);
  }
});

t.test('a patch whose text is missing or not unique is refused', async (t) => {
  const patch = { file: 'x.js', find: 'a()', replace: 'b()', why: '' };
  t.throws(() => applyPatch('c()', patch), /expected one "a\(\)"/);
  t.throws(() => applyPatch('a(); a()', patch), /expected one/);
  t.equal(applyPatch('x; a(); y', patch), 'x; b(); y');
});

t.test("ioredis's patched Commander still gives every instance every command and no trace of the patch", async (t) => {
  const patch = PATCHES.find((p) => p.file.includes('ioredis'))!;
  const mod = { exports: {} as Record<string, unknown> };
  const source = applyPatch(readFileSync(patch.file, 'utf8'), patch);
  const require = createRequire(new URL(`../../${patch.file}`, import.meta.url));
  new Function('exports', 'require', 'module', source)(mod.exports, require, mod);
  const Commander = (mod.exports as { default: new () => Record<string, unknown> }).default;
  const c = new Commander();
  for (const name of ['get', 'getBuffer', 'hset', 'evalsha', 'sentinel', 'call']) t.type(c[name], 'function', name);
  t.notOk('__shoalSlow' in c);
});
