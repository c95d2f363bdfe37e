import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { ShoalError } from '../../lib/errors.js';
import { signalGroup as killGroup } from '../../lib/process.js';
import { lastLogLine } from './log-tail.js';

export interface Child {
  name: string;
  pid: number;
  proc: ChildProcess;
  /** The ready line's match. */
  ready: RegExpMatchArray;
  alive(): boolean;
  exited: Promise<number | string>;
  /** SIGTERM to the child's process group, SIGKILL to it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Output of the child (stdout and stderr) is appended here. */
  logFile: string;
  /** The child is ready when a stdout line matches. */
  readyLine: RegExp;
  timeoutMs?: number;
}

/**
 * Starts a child in its own process group, so a terminal's Ctrl-C reaches only the
 * supervisor, which then stops children in order. Resolves once the ready line appears.
 */
export async function startChild(spec: ChildSpec): Promise<Child> {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  // stderr (the JSON logs) goes straight to the file: no pipe through the supervisor that
  // could fill up and block a child's exit when the supervisor is gone.
  const errFd = openSync(spec.logFile, 'a');
  const log = createWriteStream(spec.logFile, { flags: 'a' });
  const proc = spawn(spec.command, spec.args, { env: spec.env, stdio: ['ignore', 'pipe', errFd], detached: true });
  closeSync(errFd);
  proc.stdout!.once('end', () => log.end());
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  let buffered = '';
  const ready = new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new ShoalError('SHOAL_ERR_CHILD_TIMEOUT', `${spec.name} was not ready within ${spec.timeoutMs ?? 30_000} ms (log: ${spec.logFile})`)),
      spec.timeoutMs ?? 30_000,
    );
    proc.stdout!.on('data', (b: Buffer) => {
      log.write(b);
      buffered += b.toString();
      const m = buffered.match(spec.readyLine);
      if (m) {
        clearTimeout(timer);
        buffered = '';
        resolve(m);
      }
    });
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(new ShoalError('SHOAL_ERR_CHILD_START', `${spec.name} could not start: ${err.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new ShoalError('SHOAL_ERR_CHILD_EXIT', `${spec.name} exited (${code}) before it was ready: ${lastLogLine(spec.logFile)} (log: ${spec.logFile})`));
    });
  });
  const child: Child = {
    name: spec.name,
    pid: proc.pid ?? 0,
    proc,
    ready: await ready.catch((err) => {
      killGroup(proc.pid, 'SIGKILL');
      throw err;
    }),
    alive,
    exited,
    async stop(graceMs = 10_000) {
      if (!alive()) return;
      killGroup(proc.pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(proc.pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // anything the child left in its group goes too
      killGroup(proc.pid, 'SIGKILL');
    },
  };
  return child;
}

