import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import t from 'tap';
import { applyPatch, patchPlugin, PATCHES } from '../../scripts/bundle-patches.js';

t.test('each bundle patch finds its text once in the installed package (an upgrade that moves it fails here, not silently slower)', async (t) => {
  for (const patch of PATCHES) {
    const patched = applyPatch(readFileSync(patch.file, 'utf8'), patch);
    for (const edit of patch.edits) t.ok(patched.includes(edit.replace), `${patch.file}: ${edit.find}`);
  }
});

t.test('a patch whose text is missing or not unique is refused', async (t) => {
  const patch = { file: 'x.js', edits: [{ find: 'a()', replace: 'b()' }], why: '' };
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

// A Koa app bundled with the patches, in a fresh Node: a JSON answer leaves Node's lazy fetch
// globals unloaded, and a Response or ReadableStream body is still served as one.
const KOA_CHECK = `
const Koa = require('koa');
const { once } = require('node:events');
const lazy = (name) => typeof Object.getOwnPropertyDescriptor(globalThis, name).get === 'function';
// Node 20 installs them as lazy getters; newer Nodes may not (then there is nothing to keep unloaded)
const lazyAtStart = lazy('Response') && lazy('ReadableStream');
(async () => {
  const app = new Koa();
  app.use((ctx) => {
    if (ctx.path === '/json') ctx.body = { ok: true };
    else if (ctx.path === '/accepts') ctx.body = { type: ctx.accepts('html', 'json') };
    else if (ctx.path === '/assert') ctx.assert(false, 418, 'a teapot');
    else if (ctx.path === '/response') ctx.body = new Response('from a Response', { status: 202, headers: { 'x-from': 'response' } });
    else ctx.body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('from a stream')); c.close(); } });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const http = require('node:http');
  const get = (path) => new Promise((ok, fail) => http.get({ host: '127.0.0.1', port: server.address().port, path, headers: { accept: 'application/json' } }, (res) => {
    let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => ok({ status: res.statusCode, type: res.headers['content-type'], from: res.headers['x-from'], body }));
  }).on('error', fail));
  const out = { json: await get('/json'), lazyAtStart, lazyAfterJson: lazy('Response') && lazy('ReadableStream') };
  out.accepts = await get('/accepts');
  out.assert = await get('/assert');
  out.response = await get('/response');
  out.stream = await get('/stream');
  server.close();
  console.log(JSON.stringify(out));
})();
`;

t.test('Koa bundled with the patches answers JSON without loading the fetch globals, and still serves Response and ReadableStream bodies, ctx.accepts and ctx.assert', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bundle-patches-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'entry.cjs'), KOA_CHECK);
  await build({ entryPoints: [join(dir, 'entry.cjs')], outfile: join(dir, 'out.cjs'), bundle: true, platform: 'node', format: 'cjs', nodePaths: [join(process.cwd(), 'node_modules')], plugins: [patchPlugin()], logLevel: 'warning' });
  const out = JSON.parse(execFileSync(process.execPath, [join(dir, 'out.cjs')], { encoding: 'utf8', timeout: 30_000 })) as Record<string, { status: number; type: string; from?: string; body: string }> & { lazyAtStart: boolean; lazyAfterJson: boolean };
  t.same(out.json, { status: 200, type: 'application/json; charset=utf-8', body: '{"ok":true}' });
  if (out.lazyAtStart) t.equal(out.lazyAfterJson, true, 'Response and ReadableStream still unloaded after a JSON answer');
  else t.comment(`node ${process.version} has no lazy Response/ReadableStream globals to keep unloaded`);
  t.match(out.accepts, { status: 200, body: '{"type":"json"}' }, 'ctx.accepts still negotiates (accepts loaded on first use)');
  t.match(out.assert, { status: 418, body: 'a teapot' }, 'ctx.assert still throws its HTTP error (http-assert loaded on first use)');
  t.match(out.response, { status: 202, from: 'response', body: 'from a Response' });
  t.match(out.stream, { status: 200, type: 'application/octet-stream', body: 'from a stream' });
});

t.test('mime-types built with the patch maps every extension and type as the package itself does', async (t) => {
  const patch = PATCHES.find((p) => p.file.endsWith('mime-types/index.js'))!;
  const require = createRequire(new URL(`../../${patch.file}`, import.meta.url));
  const original = require('./index.js') as { types: Record<string, string>; extensions: Record<string, string[]>; contentType(t: string): string };
  const mod = { exports: {} as Record<string, unknown> };
  new Function('exports', 'require', 'module', applyPatch(readFileSync(patch.file, 'utf8'), patch))(mod.exports, require, mod);
  const patched = mod.exports as typeof original;
  t.same(patched.types, original.types);
  t.same(patched.extensions, original.extensions);
  t.equal(patched.contentType('json'), 'application/json; charset=utf-8');
  t.ok(Object.keys(patched.types).length > 1000);
});
