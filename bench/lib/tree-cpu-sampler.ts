import { readdirSync, readFileSync } from 'node:fs';
import { machineCpu, machineShares, type MachineCpu } from './machine-cpu.js';
import { cpuSeconds } from './proc-cpu.js';

/** One process the sampler saw: what it is, and the CPU it used while sampled. */
export interface ProcessCpu {
  pid: number;
  role: string;
  /** CPU seconds (user + system) between the first and the last reading. */
  cpuS: number;
  /** Seen at the first reading (false: started while sampled, so its start-up is included). */
  fromStart: boolean;
}

/** CPU seconds each role used between two readings, and the machine's busy share then. */
export interface CpuTick {
  /** When the reading was taken (ms since the epoch). */
  at: number;
  /** Role → CPU seconds since the reading before; a process first seen here counts from zero, its start-up included ("app (new)"). */
  byRole: Map<string, number>;
  /** The whole machine's busy share (all cores) since the reading before. */
  machineBusy: number;
}

/** What a command line is, in a stack started by `shoal up` (and the load generator beside it). */
export function roleOf(cmdline: string): string {
  const m = /shoal\.js (app|proxy|dynamodb|autoscaler|load)\b/.exec(cmdline);
  if (m) return m[1] === 'dynamodb' ? 'dynalite' : m[1]!;
  if (cmdline.startsWith('redis-server')) return 'redis';
  if (/shoal\.js up\b/.test(cmdline)) return 'up';
  if (/reaper\.js/.test(cmdline)) return 'reaper';
  return cmdline.split(' ')[0]!.split('/').pop() || 'other';
}

/** Parent of each running process, from /proc/<pid>/stat. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      out.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** `roots` and every process below them. */
function descendants(roots: readonly number[]): number[] {
  const ppid = parents();
  const out = new Set(roots.filter((p) => ppid.has(p)));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of ppid) {
      if (!out.has(pid) && out.has(parent)) {
        out.add(pid);
        grew = true;
      }
    }
  }
  return [...out];
}

/**
 * Reads the CPU time of a process tree every `everyMs` (Linux /proc), so a process that
 * exits meanwhile (a drained app server) keeps its last reading, and one started meanwhile
 * (a new app server) counts from zero, its boot included. CPU time, not wall time: on a
 * shared machine it says what each tier cost, whoever else was running.
 */
export class TreeCpuSampler {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private readonly roles = new Map<number, string>();
  private readonly roots: number[] = [];
  private readonly tickList: CpuTick[] = [];
  private machine: MachineCpu = machineCpu();
  private timer: NodeJS.Timeout | undefined;

  constructor(roots: readonly number[], everyMs = 1000) {
    this.roots.push(...roots);
    this.read(true);
    this.timer = setInterval(() => this.read(false), everyMs);
    this.timer.unref();
  }

  /** Adds a process started later (the load generator), counted from its first reading. */
  add(pid: number): void {
    this.roots.push(pid);
    this.read(false);
  }

  /** Each reading's CPU per role since the one before (the per-second view of a run). */
  ticks(): readonly CpuTick[] {
    return this.tickList;
  }

  /** Takes a last reading and stops. */
  stop(): ProcessCpu[] {
    clearInterval(this.timer);
    this.read(false);
    return [...this.last].map(([pid, cpu]) => ({ pid, role: this.roles.get(pid)!, cpuS: cpu - (this.first.get(pid) ?? 0), fromStart: this.first.has(pid) }));
  }

  private read(initial: boolean): void {
    const byRole = new Map<string, number>();
    for (const pid of descendants(this.roots)) {
      try {
        const cpu = cpuSeconds(pid);
        if (!this.roles.has(pid)) this.roles.set(pid, roleOf(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()));
        if (initial) this.first.set(pid, cpu);
        const role = this.roles.get(pid)! + (this.first.has(pid) ? '' : ' (new)');
        byRole.set(role, (byRole.get(role) ?? 0) + cpu - (this.last.get(pid) ?? 0));
        this.last.set(pid, cpu);
      } catch {
        // gone meanwhile: its last reading stands
      }
    }
    const machine = machineCpu();
    if (!initial) this.tickList.push({ at: Date.now(), byRole, machineBusy: machineShares(this.machine, machine).busy });
    this.machine = machine;
  }
}
