import { existsSync, readFileSync } from 'node:fs';

/** True while a process with `pid` exists (EPERM: it exists but is not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name (field 2) may hold spaces and parentheses: count from the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

/** True while `pid` runs and is the process that started at `startTime` (when known). */
export function sameProcessAlive(pid: number, startTime: string | undefined): boolean {
  if (!pidAlive(pid)) return false;
  if (!startTime) return true;
  const now = processStartTime(pid);
  return now === undefined ? existsSync('/proc') === false : now === startTime;
}
