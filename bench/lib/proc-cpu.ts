import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces): field 3 onwards. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (Linux).
 * On a shared machine CPU per request is steadier than requests/s: it does not move when
 * another process takes the core away for a while.
 */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

/**
 * Runs `work` and returns what it returned with the CPU seconds process `pid` used meanwhile:
 * the app side of a CPU-per-request figure (bench:app, bench:monitors).
 */
export async function cpuDuring<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; cpuS: number }> {
  const before = cpuSeconds(pid);
  const result = await work();
  return { result, cpuS: cpuSeconds(pid) - before };
}

export interface CpuTimes {
  /** Seconds in user space and in the kernel (system calls: the sockets' reads and writes). */
  user: number;
  system: number;
}

/** User and system CPU seconds a process has used so far (utime and stime of /proc/<pid>/stat). */
export function cpuTimes(pid: number): CpuTimes {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const f = statFields(pid);
  return { user: Number(f[11]) / ticksPerSecond, system: Number(f[12]) / ticksPerSecond };
}

/** Direct children of `pid` (a proxy's workers, a tsx loader's esbuild). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (Number(statFields(Number(d))[1]) === pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU times of a process and its direct children (children that exit take theirs along). */
export function treeCpuTimes(pid: number): CpuTimes {
  const t = cpuTimes(pid);
  for (const c of childPids(pid)) {
    try {
      const x = cpuTimes(c);
      t.user += x.user;
      t.system += x.system;
    } catch {
      // gone meanwhile
    }
  }
  return t;
}
