import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from '../../cli/stack/stack-file.js';
import { ROOT } from './child-process.js';

export const SHOAL = join(ROOT, 'dist/cli/shoal.js');
export const QUIET_ENV = { ...process.env, SHOAL_LOG_LEVEL: 'warn' };

/** A `shoal up` on free ports with its data in a temp dir, as a bench drives it. */
export interface UpStack {
  pid: number;
  dir: string;
  args: string[];
  stack: Stack;
  /** Throws if the stack exited, or `check` stays false past `ms`. */
  until(check: () => boolean, ms: number, what: string): Promise<void>;
  /** SIGINT to its process group (SIGKILL after 60 s), then the temp dir goes. */
  stop(): Promise<void>;
}

/** Starts `shoal up` with `extra` flags and resolves once it says "shoal is up". */
export async function startShoalUp(name: string, extra: string[]): Promise<UpStack> {
  const dir = mkdtempSync(join(tmpdir(), `shoal-bench-${name}-`));
  const args = ['up', '--port', '0', '--admin-port', '0', '--proxy-admin-port', '0', '--data-dir', dir, ...extra];
  // Its own process group: one signal reaches the stack's supervisor, and nothing is left behind.
  const up = spawn(process.execPath, [SHOAL, ...args], { cwd: ROOT, env: QUIET_ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const keep = (b: Buffer) => (out = (out + b.toString()).slice(-16384));
  up.stdout!.on('data', keep);
  up.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => up.once('exit', () => r()));
  const until = async (check: () => boolean, ms: number, what: string) => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (up.exitCode !== null || up.signalCode !== null) throw new Error(`shoal up exited before ${what}: ${out}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms / 1000} s: ${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const stop = async () => {
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-up.pid!, sig);
      } catch {
        // already gone
      }
    };
    signal('SIGINT');
    const timer = setTimeout(() => signal('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop().then(() => process.exit(130)));
  try {
    await until(() => /shoal is up/.test(out), 300_000, '"shoal is up"');
  } catch (err) {
    await stop();
    throw err;
  }
  const stack = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as Stack;
  return { pid: up.pid!, dir, args, stack, until, stop };
}
