// Bundles `shoal app` (dist/cli/app-main.js and all it imports, node_modules included) into
// dist/cli/app.cjs, run by dist/cli/shoal.js for `shoal app` (cli/app-bundle.ts). Part of
// `npm run build`, after tsc. CommonJS so that Node 20 can keep its compiled code (vm.Script
// cachedData); beside the other dist/cli files so their relative paths (the package root,
// node_modules) resolve the same from it. Packages' ES module builds where they ship one, so
// what the app does not import is left out (the DynamoDB client's other commands, most of
// OpenTelemetry's conventions). Whitespace and comments go, names stay (stack traces name
// functions): half the bytes to read and hash at every boot, and pure ASCII, which the
// loader reads as one-byte text without decoding UTF-8.
//   node --import tsx scripts/bundle-app.ts
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { wrapCommonJs, wrappedPath } from '../lib/code-cache.js';
import { patchPlugin } from './bundle-patches.js';

const dist = fileURLToPath(new URL('../dist/cli/', import.meta.url));
const outfile = `${dist}app.cjs`;

await build({
  entryPoints: [`${dist}app-main.js`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  mainFields: ['module', 'main'],
  conditions: ['module'],
  // dynalite serves `--dynamodb embedded` only and loads its LevelDB binding from its own
  // folder; systeminformation is loaded only off Linux (monitors/host-*.ts).
  external: ['dynalite', 'systeminformation'],
  // import.meta.url of the bundled modules is the bundle's own URL (dist/cli/, see above).
  define: { 'import.meta.url': '__bundle_url' },
  banner: { js: "const __bundle_url = require('node:url').pathToFileURL(__filename).href;" },
  // import() of Node's own modules becomes require(): a function restored from V8's code cache
  // loses the vm.Script's dynamic-import callback (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING).
  supported: { 'dynamic-import': false },
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  // start-up work in packages that costs every boot for nothing (scripts/bundle-patches.ts)
  plugins: [patchPlugin()],
  logLevel: 'warning',
  legalComments: 'none',
});

// The same file wrapped as Node's loader wraps a module, for Node 20's cached compile (lib/code-cache.ts).
writeFileSync(wrappedPath(outfile), wrapCommonJs(readFileSync(outfile, 'latin1')), 'latin1');
