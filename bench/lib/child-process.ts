import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BenchChild {
  pid: number;
  child: ChildProcess;
  /** The first match of `re` on stdout, or a rejection naming the output if the child exits first. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** The last 8 kB of its stderr. */
  stderr(): string;
}

/** Spawns `node ...args` from the repo root; output is kept (last 8 kB) for error messages. */
export function spawnNode(args: string[], env: Record<string, string> = {}): BenchChild {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-8192)));
  child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-8192)));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid!,
    child,
    stderr: () => err,
    waitForLine(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(re);
          if (m) done(() => resolve(m));
          else if (exited()) done(() => reject(new Error(`${args.join(' ')} exited: ${out}${err}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${args.join(' ')}: no ${re} within ${timeoutMs} ms: ${out}${err}`))), timeoutMs);
        const done = (fn: () => void) => {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.off('exit', check);
          fn();
        };
        child.stdout!.on('data', check);
        child.on('exit', check);
        check();
      });
    },
    async stop(graceMs = 5000) {
      if (exited()) return;
      const gone = once(child, 'exit');
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => !exited() && process.kill(child.pid!, 'SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
}
