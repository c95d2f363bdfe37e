import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** One process `shoal up` supervises (redis, dynamodb, proxy, autoscaler), as its supervisor last saw it. */
export interface StackProcess {
  name: string;
  pid: number;
  state: 'running' | 'restarting' | 'failed';
  /** Restarts since `shoal up` started. */
  restarts: number;
  /** How it last ended unexpectedly: `SIGKILL`, `exit 1`; '' if never. */
  lastExit: string;
  lastExitAt: number;
  startedAt: number;
  /** Its log file: stdout and stderr of every run. */
  log: string;
  /** Where it serves people (Prometheus' web UI), when it does. */
  url?: string;
}

/** The hash's fields as processes, oldest first; a field that is not JSON is skipped. */
export function parseStackProcesses(h: Record<string, string>): StackProcess[] {
  const out: StackProcess[] = [];
  for (const v of Object.values(h)) {
    try {
      out.push(JSON.parse(v) as StackProcess);
    } catch {
      // written by something else under our prefix: not ours to show
    }
  }
  return out.sort((a, b) => a.startedAt - b.startedAt || a.name.localeCompare(b.name));
}

/** `shoal up` writes one field per process; `shoal status` and the dashboard read them. */
export class StackProcessStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async write(p: StackProcess): Promise<void> {
    await this.redis.hset(this.keys.stackProcesses, p.name, JSON.stringify(p));
  }

  async readAll(): Promise<StackProcess[]> {
    return parseStackProcesses(await this.redis.hgetall(this.keys.stackProcesses));
  }

  /** A new `shoal up` starts with a clean slate; a stopped one leaves nothing behind. */
  async clear(): Promise<void> {
    await this.redis.del(this.keys.stackProcesses);
  }
}
