import { Counter, Gauge, type Registry } from 'prom-client';
import type { FlushOutcome } from './flush-loop.js';

/** The monitors' own series on their app server's registry: whether their Redis writes land, and what they last read. */
export class MonitorMetrics {
  private readonly flushes: Counter<'monitor' | 'outcome'>;
  private usedRatio = Number.NaN;

  constructor(registry: Registry, inflight: () => number) {
    const registers = [registry];
    this.flushes = new Counter({ name: 'shoal_monitor_flushes_total', help: 'Monitor writes to Redis, by monitor and outcome (ok, timeout, error)', labelNames: ['monitor', 'outcome'], registers });
    new Gauge({
      name: 'shoal_monitor_inflight_requests',
      help: 'Requests this app server has started and not yet answered (what the request monitor publishes)',
      registers,
      collect() {
        this.set(inflight());
      },
    });
    const ratio = () => this.usedRatio;
    new Gauge({
      name: 'shoal_monitor_memory_used_ratio',
      help: "The host's used memory, (total - available) / total, as the memory monitor last read it",
      registers,
      collect() {
        const r = ratio();
        if (Number.isFinite(r)) this.set(r);
      },
    });
  }

  flushed(monitor: 'request' | 'memory', outcome: FlushOutcome): void {
    this.flushes.inc({ monitor, outcome });
  }

  memoryRead(usedPercent: number): void {
    this.usedRatio = usedPercent / 100;
  }
}
