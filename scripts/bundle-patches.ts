// Source edits scripts/bundle-app.ts makes to packages as it bundles them: start-up work that
// costs `shoal app`'s boot CPU for nothing, removed without changing what the code does.
// Each names the text it expects; test/unit/bundle-patches.test.ts checks it against the
// installed packages, so an upgrade that moves it fails there instead of going quietly slow.
import type { Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';

export interface BundlePatch {
  /** The package file, as its path ends. */
  file: string;
  find: string;
  replace: string;
  why: string;
}

export const PATCHES: BundlePatch[] = [
  {
    file: 'node_modules/ioredis/built/utils/Commander.js',
    find: 'commands.forEach(function (commandName) {',
    // Deleting a property turns the prototype into a dictionary, where adding is cheap; V8
    // makes it fast again when it is first used as a prototype.
    replace: 'Commander.prototype.__shoalSlow = 0;\ndelete Commander.prototype.__shoalSlow;\ncommands.forEach(function (commandName) {',
    why:
      "ioredis adds two methods per Redis command (~570) to a class prototype at import; on a fast-mode prototype V8 copies its descriptor array on every addition, quadratic: ~40 ms of CPU and 3 MB of garbage per boot",
  },
];

/** `source` with `patch` applied; throws when the text it expects is not there. */
export function applyPatch(source: string, patch: BundlePatch): string {
  const at = source.indexOf(patch.find);
  if (at < 0 || source.indexOf(patch.find, at + 1) >= 0) throw new Error(`bundle patch for ${patch.file}: expected one ${JSON.stringify(patch.find)}`);
  return source.slice(0, at) + patch.replace + source.slice(at + patch.find.length);
}

/** The esbuild plugin that applies PATCHES as the files load. */
export function patchPlugin(patches: BundlePatch[] = PATCHES): Plugin {
  return {
    name: 'shoal-bundle-patches',
    setup(build) {
      for (const patch of patches) {
        const filter = new RegExp(`${patch.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
        build.onLoad({ filter }, async (args) => ({ contents: applyPatch(await readFile(args.path, 'utf8'), patch), loader: 'js' }));
      }
    },
  };
}
