import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signalGroup } from '../lib/process.js';

/** How the endpoint starts instance processes. */
export interface ProcessOptions {
  /** Where each instance gets its directory: `<instancesDir>/<instance id>/`. */
  instancesDir: string;
  /** `node` and shoal's CLI script, so embedded user data can exec the local `shoal app`. */
  node: string;
  cli: string;
  /** Passed through to every instance (e.g. SHOAL_LOG_LEVEL), on top of a minimal environment. */
  env: Record<string, string>;
}

// The process is tied to the endpoint: if the endpoint dies, even by SIGKILL, the kernel
// sends the instance SIGTERM, so no instance outlives it.
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

export function instanceDir(instancesDir: string, instanceId: string): string {
  return join(instancesDir, instanceId);
}

/**
 * Starts the process that is the instance: its user data when that is a script (`#!…`, as
 * cloud-init runs it), else an idle process (an instance with nothing to do). It runs in
 * its own process group with its own directory (`root/` is its filesystem root for
 * SHOAL_ROOT) and writes its output to `console.log` (the instance's console).
 */
export function startInstanceProcess(o: ProcessOptions, instanceId: string, userDataB64: string | undefined, imdsPort: number): ChildProcess {
  const dir = instanceDir(o.instancesDir, instanceId);
  const root = join(dir, 'root');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const userData = userDataB64 ? Buffer.from(userDataB64, 'base64') : Buffer.alloc(0);
  let command: string[];
  if (userData.subarray(0, 2).toString() === '#!') {
    const script = join(dir, 'user-data');
    writeFileSync(script, userData, { mode: 0o700 });
    command = [script];
  } else {
    command = ['sleep', 'infinity'];
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? root,
    LANG: process.env.LANG ?? 'C.UTF-8',
    ...o.env,
    SHOAL_EMBEDDED: '1',
    SHOAL_ROOT: root,
    SHOAL_NODE: o.node,
    SHOAL_CLI: o.cli,
    AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${imdsPort}`,
  };
  const out = openSync(join(dir, 'console.log'), 'a', 0o600);
  try {
    const [cmd, ...args] = SETPRIV ? [SETPRIV, '--pdeathsig', 'SIGTERM', '--', ...command] : command;
    return spawn(cmd!, args, { cwd: dir, env, detached: true, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
}

/** SIGTERM to the instance's process group; SIGKILL if it is still there after `killTimeoutMs`. */
export function stopInstanceProcess(child: ChildProcess, killTimeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), killTimeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      // Whatever the script left behind in its group goes with it (the group only: the pid
      // alone may already belong to someone else).
      killGroup(child.pid!);
      ok();
    });
    signalGroup(child.pid, 'SIGTERM');
  });
}

/**
 * Kills a process a previous run of the endpoint started, if `pid` is still that instance
 * (its working directory is the instance's): a pid reused by something else is left alone.
 */
export function reapLeftover(instancesDir: string, instanceId: string, pid: number): boolean {
  try {
    if (readlinkSync(`/proc/${pid}/cwd`) !== instanceDir(instancesDir, instanceId)) return false;
  } catch {
    return false;
  }
  signalGroup(pid, 'SIGKILL');
  return true;
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // the group is empty: nothing left behind
  }
}
