import { setFlagsFromString } from 'node:v8';
import { userSetV8Flag } from './user-v8-flags.js';

// undici parses every answer from an app server with llhttp compiled to WebAssembly. V8 runs
// it first as baseline code (Liftoff) and, once it is hot, compiles it again with TurboFan on
// a background thread. TurboFan on llhttp's one huge state-machine function takes ~36 MB of
// that thread's malloc arena, and glibc keeps ~10 MB of it resident for good (an arena
// shrinks only down to what is still allocated at its top). That is a tenth of a proxy's RSS
// for a parser that is ~1 % of its CPU: a `--cpu-prof` under wrk had llhttp at 1.2 % of the
// busy samples with TurboFan and 1.8 % on Liftoff alone. So the proxy keeps WebAssembly on
// Liftoff. The flags are read when a module is compiled, and undici compiles llhttp at its
// first connection, long after this runs.

/** The flags that choose how WebAssembly tiers up: a user who passes one keeps their choice. */
export const WASM_TIERING = /--(?:no-)?(?:wasm-tier-up|wasm-dynamic-tiering|liftoff-only|liftoff)\b/;

/** WebAssembly stays on V8's baseline compiler: no optimizing tier-up in the background. */
export function keepWasmOnBaseline(): void {
  if (userSetV8Flag(WASM_TIERING)) return;
  setFlagsFromString('--no-wasm-dynamic-tiering');
  setFlagsFromString('--no-wasm-tier-up');
}
