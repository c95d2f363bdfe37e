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
    const h = await this.redis.hgetall(this.keys.stackProcesses);
    return Object.values(h)
      .map((v) => JSON.parse(v) as StackProcess)
      .sort((a, b) => a.startedAt - b.startedAt || a.name.localeCompare(b.name));
  }

  /** A new `shoal up` starts with a clean slate; a stopped one leaves nothing behind. */
  async clear(): Promise<void> {
    await this.redis.del(this.keys.stackProcesses);
  }
}
