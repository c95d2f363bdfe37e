import { loadavg } from 'node:os';
import type { Fleet, MemoryReading } from '../fleet/index.js';
import type { Logger } from '../lib/log.js';
import { FlushLoop } from './flush-loop.js';
import type { MonitorMetrics } from './metrics.js';
import { hostId } from './host-id.js';
import { hostMemory } from './host-memory.js';
import { usedPercent } from './used-percent.js';

export interface MemoryMonitorOptions {
  /** As for the request monitor: a client made with connectRedis(url, { offlineQueue: false }). */
  fleet: Fleet;
  /** host:port of the server: its field in `memory_load`. */
  address: string;
  serverId: string;
  intervalMs?: number;
  log: Logger;
  metrics?: MonitorMetrics;
}

/** Once per interval writes this server's memory reading to its field of `memory_load`. */
export class MemoryMonitor {
  private readonly loop: FlushLoop;

  constructor(private readonly opts: MemoryMonitorOptions) {
    const intervalMs = opts.intervalMs ?? 1000;
    this.loop = new FlushLoop({
      name: 'memory monitor',
      intervalMs,
      timeoutMs: Math.max(2 * intervalMs, 1000),
      log: opts.log,
      write: async () => {
        await this.sample();
      },
      onFlush: opts.metrics && ((outcome) => opts.metrics!.flushed('memory', outcome)),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Reads the machine and this process now and writes the reading. */
  async sample(): Promise<MemoryReading> {
    const [mem, host] = await Promise.all([hostMemory(), hostId()]);
    const reading: MemoryReading = {
      serverId: this.opts.serverId,
      usedPercent: usedPercent(mem),
      hostId: host,
      rssBytes: process.memoryUsage.rss(),
      load1: Math.round(loadavg()[0]! * 100) / 100,
      updatedAt: Date.now(),
    };
    this.opts.metrics?.memoryRead(reading.usedPercent);
    await this.opts.fleet.memory.write(this.opts.address, reading);
    return reading;
  }

  /**
   * Stops sampling and removes this server's field, so `memory_load` does not collect
   * the readings of servers that are gone. Idempotent.
   */
  stop(): Promise<void> {
    return this.loop.stop(async () => {
      await this.opts.fleet.memory.remove(this.opts.address);
    });
  }
}
