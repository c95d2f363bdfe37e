import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHOAL_BIN = fileURLToPath(new URL('../../dist/cli/shoal.js', import.meta.url));
export const URLFUZZER_BIN = fileURLToPath(new URL('../../dist/cli/urlfuzzer.js', import.meta.url));

export interface Proc {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Waits until stdout+stderr match `re`; returns the match. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name). */
  exited(): Promise<number | string>;
  /** Sends `signal` and waits for exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

type Teardown = (fn: () => unknown) => void;

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Own process group, like `shoal up` children; teardown kills the group. */
  detached?: boolean;
  bin?: string;
}

/**
 * Runs `node dist/cli/shoal.js ...args`; teardown kills it by pid if still running. App
 * servers it starts, directly or through `shoal up`, skip their warm-up (seconds of CPU per
 * boot on a shared machine, for nothing the test checks) unless `opts.env` or a flag asks.
 */
export function spawnShoal(teardown: Teardown, args: string[], opts: SpawnOptions = {}): Proc {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, SHOAL_LOG_LEVEL: 'warn', SHOAL_APP_WARM_UP: '0', ...opts.env })) if (v !== undefined) env[k] = v;
  const child = spawn(process.execPath, [opts.bin ?? SHOAL_BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exit = new Promise<number | string>((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const p: Proc = {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    async waitForOutput(re, timeoutMs = 20_000) {
      return waitFor(
        () => {
          const m = (out + err).match(re);
          if (!m && !alive()) throw new Error(`process exited: ${out}${err}`);
          return m;
        },
        { timeoutMs, what: `output ${re} (got: ${(out + err).slice(-500)})` },
      );
    },
    exited: () => exit,
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (!alive()) return exit;
      child.kill(signal);
      const timer = setTimeout(() => alive() && child.kill('SIGKILL'), graceMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
  teardown(async () => {
    if (opts.detached && child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // group already gone
      }
    }
    if (alive()) {
      child.kill('SIGKILL');
      await once(child, 'exit').catch(() => {});
    }
  });
  return p;
}

export { pidAlive } from '../../lib/process.js';
