import type { DataPlane, Fleet } from '../fleet/index.js';
import { OnceLog, type Logger } from '../lib/log.js';

/** Running totals the request path bumps (plain increments: no I/O per request). */
export class DemandCounters {
  /** Everything that arrived, including requests the proxy answered with 503 or an error. */
  offered = 0;
  /** Requests an app server answered. */
  served = 0;
}

export interface DemandReporterOptions {
  fleet: Fleet;
  counters: DemandCounters;
  id: string;
  bootId: string;
  address: string;
  adminAddress: string;
  /** The pool version the proxy has applied (membership's drain acknowledgement). */
  appliedVersion: () => number;
  /** Which data plane moves the bytes: shown by `shoal status` and the dashboard. */
  dataPlane: DataPlane;
  /** Brings `counters` up to date before each report (HAProxy's counters are read, not bumped). */
  beforeReport?: () => Promise<void>;
  intervalMs: number;
  /** Rates are averaged over this window: steadier than per-tick, still fresh. */
  windowMs?: number;
  log: Logger;
}

interface Sample {
  at: number;
  offered: number;
  served: number;
}

/**
 * Writes the proxy's fleet entry every interval: heartbeat, applied pool version, offered
 * and served totals and rates. The autoscaler reads offered rps as demand (it keeps rising
 * when the servers are saturated) and waits on appliedPoolVersion before terminating a server.
 */
export class DemandReporter {
  private timer: NodeJS.Timeout | undefined;
  private readonly samples: Sample[] = [];
  private readonly once: OnceLog;

  constructor(private readonly o: DemandReporterOptions) {
    this.once = new OnceLog(o.log);
  }

  start(): void {
    this.sample(Date.now());
    void this.report();
    this.timer = setInterval(() => void this.report(), this.o.intervalMs);
    this.timer.unref();
  }

  /** The rates over the window ending now. */
  rates(): { offeredRps: number; servedRps: number } {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at <= 0) return { offeredRps: 0, servedRps: 0 };
    const s = (last.at - first.at) / 1000;
    return { offeredRps: round((last.offered - first.offered) / s), servedRps: round((last.served - first.served) / s) };
  }

  async report(): Promise<void> {
    await this.o.beforeReport?.().catch((err: unknown) => this.once.warn('counters', { err: String(err) }, 'proxy counters could not be read'));
    const now = Date.now();
    this.sample(now);
    const { offeredRps, servedRps } = this.rates();
    try {
      await this.o.fleet.proxies.report({
        id: this.o.id,
        address: this.o.address,
        adminAddress: this.o.adminAddress,
        heartbeatAt: now,
        appliedPoolVersion: this.o.appliedVersion(),
        offeredTotal: this.o.counters.offered,
        servedTotal: this.o.counters.served,
        offeredRps,
        servedRps,
        bootId: this.o.bootId,
        dataPlane: this.o.dataPlane,
      });
      this.once.clear('report', 'proxy report: redis reachable again');
    } catch (err) {
      this.once.warn('report', { err: String(err) }, 'proxy report failed: redis unreachable (will keep trying)');
    }
  }

  /** Leaves the fleet on a clean shutdown so the autoscaler stops waiting for this proxy. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.o.fleet.proxies.remove(this.o.id).catch(() => {});
  }

  private sample(at: number): void {
    const windowMs = this.o.windowMs ?? 5000;
    this.samples.push({ at, offered: this.o.counters.offered, served: this.o.counters.served });
    while (this.samples.length > 2 && at - this.samples[1]!.at >= windowMs) this.samples.shift();
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
