import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** The memory monitor's reading for one app server. */
export interface MemoryReading {
  serverId: string;
  /** (total − available) / total × 100 for the host. */
  usedPercent: number;
  /** Identifies the machine: several servers on one host count it once. */
  hostId: string;
  rssBytes: number;
  load1: number;
  updatedAt: number;
}

export class MemoryLoadStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** One field per server, named by the server's address as the request hash is. */
  write(address: string, reading: MemoryReading): Promise<number> {
    return this.redis.hset(this.keys.memoryLoad, address, JSON.stringify(reading));
  }

  remove(address: string): Promise<number> {
    return this.redis.hdel(this.keys.memoryLoad, address);
  }

  async readAll(): Promise<Map<string, MemoryReading>> {
    return parseMemory(await this.redis.hgetall(this.keys.memoryLoad));
  }
}

/** The `memory_load` hash, one reading per address. */
export function parseMemory(h: Record<string, string>): Map<string, MemoryReading> {
  const out = new Map<string, MemoryReading>();
  for (const [field, json] of Object.entries(h)) {
    try {
      out.set(field, JSON.parse(json) as MemoryReading);
    } catch {
      // a malformed field is skipped; the monitor rewrites it within a second
    }
  }
  return out;
}
