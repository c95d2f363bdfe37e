#!/usr/bin/env node
import { runAppBundle } from './app-bundle.js';
import { commandOf, loadersFor } from './commands/index.js';
import { keepWasmOnBaseline } from '../proxy/wasm-tiering.js';
import { holdYoungGeneration } from '../proxy/young-generation.js';

const argv = process.argv.slice(2);
// before the proxy's modules load: its young generation must not grow while it starts
// (proxy/young-generation.ts), and undici's parser stays on baseline code (proxy/wasm-tiering.ts)
if (commandOf(argv) === 'proxy') {
  holdYoungGeneration();
  keepWasmOnBaseline();
}
// `shoal app` boots on every scale-out: it runs from one bundled file when the build made one.
if (!(commandOf(argv) === 'app' && (await runAppBundle(process.argv)))) {
  const { shoalProgram } = await import('./program.js');
  const program = shoalProgram();
  for (const register of await Promise.all(loadersFor(argv).map((load) => load()))) register(program);
  await program.parseAsync(process.argv);
}
