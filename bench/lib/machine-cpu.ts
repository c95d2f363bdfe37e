import { readFileSync } from 'node:fs';

/** The whole machine's CPU counters from /proc/stat, in clock ticks summed over every core. */
export interface MachineCpu {
  busy: number;
  idle: number;
  /** Time a hypervisor gave this machine's cores to another guest. */
  steal: number;
}

/** Reads the aggregate `cpu` line of /proc/stat (Linux). */
export function machineCpu(): MachineCpu {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
}

/** Shares of all the cores' time between two readings: busy (anyone's work), idle and stolen. */
export function machineShares(a: MachineCpu, b: MachineCpu): { busy: number; idle: number; steal: number } {
  const busy = b.busy - a.busy;
  const idle = b.idle - a.idle;
  const steal = b.steal - a.steal;
  const all = busy + idle + steal || 1;
  return { busy: busy / all, idle: idle / all, steal: steal / all };
}
