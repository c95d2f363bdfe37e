import { getPriority, setPriority } from 'node:os';
import type { Fleet } from '../../fleet/index.js';
import { OnceLog, type Logger } from '../../lib/log.js';
import { BootGate } from './boot-gate.js';

export interface BootPacerOptions {
  fleet: Fleet;
  log: Logger;
  /** Boots at once; the rest wait at their gate. */
  limit: number;
  /** Niceness while booting (0-19): the servers already serving keep the cores they need. */
  nice: number;
  /** How often booting servers' registry entries are read to see them become ready. */
  pollMs?: number;
}

interface Booting {
  pid: number;
  open: () => void;
}

/**
 * Paces local boots (the thin shell around BootGate): each new server starts at a lower CPU
 * priority, at most `limit` boot at once, and when one leaves `launching` (ready, or gone)
 * its priority is restored and the next one starts. Only for servers sharing one machine.
 */
export class BootPacer {
  private readonly gate: BootGate;
  private readonly booting = new Map<string, Booting>();
  private readonly once: OnceLog;
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(private readonly o: BootPacerOptions) {
    this.gate = new BootGate(o.limit);
    this.once = new OnceLog(o.log);
  }

  /** A spawned server waiting at its gate: lowers its priority now, calls `open` when its turn comes. */
  admit(id: string, pid: number, open: () => void): void {
    this.renice(pid, this.o.nice);
    this.booting.set(id, { pid, open });
    this.start(this.gate.enqueue(id));
  }

  /** The server's process ended: its place goes to the next one. */
  ended(id: string): void {
    if (!this.booting.delete(id)) return;
    this.start(this.gate.done(id));
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private start(ids: string[]): void {
    for (const id of ids) this.booting.get(id)?.open();
    if (this.gate.started.length > 0 && !this.timer) {
      this.timer = setInterval(() => void this.poll(), this.o.pollMs ?? 200);
      this.timer.unref();
    } else if (this.gate.started.length === 0) this.close();
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const id of this.gate.started) {
        const s = await this.o.fleet.registry.get(id);
        if (s?.state === 'launching') continue;
        const b = this.booting.get(id);
        if (b) this.renice(b.pid, 0);
        this.booting.delete(id);
        this.start(this.gate.done(id));
      }
    } catch (err) {
      this.once.warn('poll', { err: (err as Error).message }, 'cannot read booting servers from Redis: their next boots wait');
    } finally {
      this.busy = false;
    }
  }

  private renice(pid: number, nice: number): void {
    try {
      if (getPriority(pid) !== nice) setPriority(pid, nice);
    } catch (err) {
      // Raising a priority back needs CAP_SYS_NICE (or RLIMIT_NICE): without it the server keeps serving, niced.
      this.once.warn(`nice${nice}`, { pid, nice, err: (err as Error).message }, 'cannot set an app server’s CPU priority');
    }
  }
}
