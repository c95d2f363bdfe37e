import { elasticity, type Elasticity, type ElasticitySample } from '../capacity/elasticity.js';
import type { Fleet, Server } from '../fleet/index.js';
import { OnceLog, type Logger } from '../lib/log.js';

/**
 * Within this share over the target a server still counts as enough: the autoscaler's
 * default tolerance band, so 200 req/s wobbling to 201 at 50 per server stays 4 servers.
 */
export const DEMAND_TOLERANCE = 0.1;

/**
 * Demand in servers: the whole servers the offered rate needs at the autoscaler's target
 * per server (SPEC RG counts demand in resource units, so a rate that wobbles by a
 * request is not a demand change).
 */
export function toSample(tSeconds: number, offeredRps: number, servers: readonly Pick<Server, 'state'>[], targetRps: number): ElasticitySample {
  const demand = Math.max(0, Math.ceil(offeredRps / targetRps - DEMAND_TOLERANCE));
  return { t: tSeconds, demand, supply: servers.filter((s) => s.state === 'ready').length };
}

export interface ElasticityResult {
  targetRps: number;
  samples: ElasticitySample[];
  metrics: Elasticity;
}

/**
 * Once a second: the fleet's ready servers, the autoscaler's target rps, and our own
 * offered rate since the last sample. Without a target (no autoscaler) a sample is skipped.
 */
export class ElasticitySampler {
  readonly samples: ElasticitySample[] = [];
  private targetRps = 0;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private last: { at: number; sent: number };
  private readonly once: OnceLog;

  constructor(
    private readonly fleet: Fleet,
    private readonly sentSoFar: () => number,
    private readonly t0: number,
    log: Logger,
    private readonly intervalMs = 1000,
  ) {
    this.once = new OnceLog(log);
    this.last = { at: t0, sent: 0 };
  }

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
  }

  async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = performance.now();
      const sent = this.sentSoFar();
      const rate = ((sent - this.last.sent) * 1000) / Math.max(1, now - this.last.at);
      this.last = { at: now, sent };
      const [servers, state] = await Promise.all([this.fleet.registry.list(), this.fleet.autoscaler.read()]);
      if (!state || !(state.targetRps > 0)) {
        this.once.warn('no-target', {}, 'elasticity: the autoscaler has no requests/s target in Redis; skipping samples');
        return;
      }
      this.targetRps = state.targetRps;
      this.samples.push(toSample(Math.round(now - this.t0) / 1000, rate, servers, state.targetRps));
    } catch (err) {
      this.once.warn('redis', { err: (err as Error).message }, 'elasticity: cannot read the fleet from Redis');
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<ElasticityResult | null> {
    clearInterval(this.timer);
    await this.sample();
    if (this.samples.length < 2) return null;
    return { targetRps: this.targetRps, samples: this.samples, metrics: elasticity(this.samples) };
  }
}
