import { existsSync, readFileSync } from 'node:fs';

/**
 * True while a process with `pid` runs (EPERM: it exists but is not ours). A zombie has
 * exited — only its parent has not collected it yet (a stopped parent never does) — so it
 * does not count.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return statField(pid, 0) !== 'Z';
}

/** Field `i` counted from the state (field 3) of /proc/<pid>/stat; undefined without /proc or the process. */
function statField(pid: number, i: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name (field 2) may hold spaces and parentheses: count from the last ')'
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[i];
}

/**
 * Signals a detached child's whole process group, so whatever it started goes too;
 * falls back to the pid itself when it has no group of its own. Gone already is fine.
 */
export function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, sig);
      return;
    } catch {
      // no such group: try the pid; no such pid: nothing to do
    }
  }
}

/** Polls until `pid` has exited; false if it is still running after `timeoutMs`. */
export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/**
 * When `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat): with the pid
 * it names one process, so a recycled pid is never taken for the one we started.
 * Undefined when the process is gone or the system has no /proc.
 */
export function processStartTime(pid: number): string | undefined {
  return statField(pid, 19);
}

/** True while `pid` runs and is the process that started at `startTime` (when known). */
export function sameProcessAlive(pid: number, startTime: string | undefined): boolean {
  if (!pidAlive(pid)) return false;
  if (!startTime) return true;
  const now = processStartTime(pid);
  return now === undefined ? existsSync('/proc') === false : now === startTime;
}
