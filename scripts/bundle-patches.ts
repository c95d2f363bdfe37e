// Source edits scripts/bundle-app.ts makes to packages as it bundles them: start-up work that
// costs `shoal app`'s boot CPU for nothing, removed without changing what the code does.
// Each names the text it expects; test/unit/bundle-patches.test.ts checks it against the
// installed packages, so an upgrade that moves it fails there instead of going quietly slow.
import type { Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface Edit {
  find: string;
  replace: string;
}

export interface BundlePatch {
  /** The package file, from the repository's root. */
  file: string;
  edits: Edit[];
  why: string;
}

// Node defines the fetch globals (Response, ReadableStream) lazily: the first read of
// `Response` compiles and runs Node's whole fetch implementation (~40 ms of CPU). Koa tests
// every response body against them, so the first JSON answer — /readyz — paid it. Genuine
// instances carry the class's Symbol.toStringTag, so testing the tag first gives the same
// answer and leaves the globals alone for bodies that are not one.
const tagged = (v: string, cls: string) => `(${v} != null && ${v}[Symbol.toStringTag] === '${cls}' && ${v} instanceof ${cls})`;

export const PATCHES: BundlePatch[] = [
  {
    file: 'node_modules/ioredis/built/utils/Commander.js',
    // Deleting a property turns the prototype into a dictionary, where adding is cheap; V8
    // makes it fast again when it is first used as a prototype.
    edits: [{ find: 'commands.forEach(function (commandName) {', replace: 'Commander.prototype.__shoalSlow = 0;\ndelete Commander.prototype.__shoalSlow;\ncommands.forEach(function (commandName) {' }],
    why: 'ioredis adds two methods per Redis command (~570) to a class prototype at import; on a fast-mode prototype V8 copies its descriptor array on every addition, quadratic: ~40 ms of CPU and 3 MB of garbage per boot',
  },
  {
    file: 'node_modules/koa/lib/response.js',
    edits: [
      { find: 'if (val instanceof ReadableStream) {', replace: `if ${tagged('val', 'ReadableStream')} {` },
      { find: 'if (val instanceof Response) {', replace: `if ${tagged('val', 'Response')} {` },
    ],
    why: "setting a JSON body read Node's lazy fetch globals (see `tagged`)",
  },
  {
    file: 'node_modules/koa/lib/application.js',
    edits: [
      { find: 'else if (body instanceof ReadableStream)', replace: `else if ${tagged('body', 'ReadableStream')}` },
      { find: 'else if (body instanceof Response)', replace: `else if ${tagged('body', 'Response')}` },
    ],
    why: "answering with a JSON body read Node's lazy fetch globals (see `tagged`)",
  },
  {
    file: 'node_modules/koa/lib/request.js',
    // accepts (with its own copies of mime-types and mime-db, and negotiator) serves
    // ctx.accepts*, which no route of ours calls: loaded on the first call instead.
    edits: [{ find: "const accepts = require('accepts')", replace: "const accepts = (req) => require('accepts')(req)" }],
    why: 'Koa loads content negotiation at import for every app; ~8 ms of a boot that never negotiates',
  },
  {
    file: 'node_modules/koa/lib/context.js',
    // ctx.assert is http-assert (with its own copy of http-errors), read on first use
    edits: [
      { find: "const httpAssert = require('http-assert')\n", replace: '' },
      { find: '  assert: httpAssert,', replace: "  get assert () { return require('http-assert') }," },
    ],
    why: 'Koa loads http-assert at import for ctx.assert, which no route of ours calls',
  },
  {
    file: 'node_modules/mime-types/index.js',
    // Koa's first JSON answer looks the type up, so the maps are built at every boot; built
    // here with each type's score computed once instead of at every extension it shares, and
    // without the review aid the module marks "DELETE (eventually)", which only filled
    // `_extensionConflicts` (undocumented; nothing reads it).
    edits: [
      {
        find: '      const legacyType = _preferredTypeLegacy(\n        extension,\n        types[extension],\n        type\n      )\n      if (legacyType !== types[extension]) {\n        exports._extensionConflicts.push([extension, legacyType, types[extension]])\n      }\n',
        replace: '',
      },
      {
        find: '  var score0 = type0 ? mimeScore(type0, db[type0].source) : 0\n  var score1 = type1 ? mimeScore(type1, db[type1].source) : 0',
        replace: '  var score0 = type0 ? scoreOf(type0) : 0\n  var score1 = type1 ? scoreOf(type1) : 0',
      },
      {
        find: 'function _preferredType (ext, type0, type1) {',
        replace: 'var scores\nfunction scoreOf (type) {\n  scores = scores || new Map()\n  var s = scores.get(type)\n  if (s === undefined) scores.set(type, (s = mimeScore(type, db[type].source)))\n  return s\n}\n\nfunction _preferredType (ext, type0, type1) {',
      },
    ],
    why: "mime-types scores every type for every extension it maps at import (~2,400 scores and as many legacy rankings)",
  },
];

/** `source` with `patch`'s edits made; throws when the text an edit expects is not there exactly once. */
export function applyPatch(source: string, patch: BundlePatch): string {
  let out = source;
  for (const { find, replace } of patch.edits) {
    const at = out.indexOf(find);
    if (at < 0 || out.indexOf(find, at + 1) >= 0) throw new Error(`bundle patch for ${patch.file}: expected one ${JSON.stringify(find)}`);
    out = out.slice(0, at) + replace + out.slice(at + find.length);
  }
  return out;
}

/** The esbuild plugin that applies PATCHES as the files load. */
export function patchPlugin(patches: BundlePatch[] = PATCHES): Plugin {
  return {
    name: 'shoal-bundle-patches',
    setup(build) {
      for (const patch of patches) {
        // this package's copy, not one nested under another package (accepts has its own mime-types)
        const path = fileURLToPath(new URL(`../${patch.file}`, import.meta.url));
        const filter = new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
        build.onLoad({ filter }, async (args) => ({ contents: applyPatch(await readFile(args.path, 'utf8'), patch), loader: 'js' }));
      }
    },
  };
}
