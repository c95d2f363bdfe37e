import { DEMAND_DEFINITION, serversNeeded } from '../capacity/demand.js';
import { elasticity, type Elasticity, type ElasticitySample } from '../capacity/elasticity.js';
import { DecisionTail, type AutoscalerAsk, type Fleet, type Server } from '../fleet/index.js';
import { OnceLog, type Logger } from '../lib/log.js';

/** One sample: the load's demand and the fleet's supply (servers), beside what the autoscaler itself asked for. */
export interface LoadSample extends ElasticitySample {
  /** The rate offered at the sample, req/s. */
  offeredRps: number;
  /** The desired count of the autoscaler's newest decision on the stream; null before it recorded any. */
  autoscalerDesired: number | null;
  /** The requests/s demand that decision read. */
  autoscalerRps: number | null;
}

/**
 * Pure: one sample. Demand is capacity/demand.ts's ⌈offered / target⌉ (no tolerance band:
 * that is the autoscaler's rule for acting, and is visible in `autoscalerDesired`); supply
 * counts ready servers only.
 */
export function toSample(tSeconds: number, offeredRps: number, servers: readonly Pick<Server, 'state'>[], targetRps: number, ask: AutoscalerAsk | undefined): LoadSample {
  return {
    t: tSeconds,
    offeredRps: Math.round(offeredRps * 100) / 100,
    demand: serversNeeded(offeredRps, targetRps),
    supply: servers.filter((s) => s.state === 'ready').length,
    autoscalerDesired: ask?.desired ?? null,
    autoscalerRps: ask?.rps ?? null,
  };
}

export interface ElasticityResult {
  targetRps: number;
  /** How demand was computed, as the report prints it. */
  definition: string;
  samples: LoadSample[];
  metrics: Elasticity;
}

/**
 * Once a second: the fleet's ready servers, the autoscaler's target rps, its newest
 * decision (read from the decision stream through fleet/), and the rate the run offers
 * now. Without a target (no autoscaler) a sample is skipped.
 */
export class ElasticitySampler {
  readonly samples: LoadSample[] = [];
  private targetRps = 0;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private readonly once: OnceLog;
  private readonly decisions: DecisionTail;

  constructor(
    private readonly fleet: Fleet,
    /** The offered rate (req/s) at `tMs` since the run's start. */
    private readonly offeredAt: (tMs: number) => number,
    private readonly t0: number,
    log: Logger,
    private readonly intervalMs = 1000,
  ) {
    this.once = new OnceLog(log);
    this.decisions = new DecisionTail(fleet.decisions);
  }

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
  }

  /** `closing`: the sample that ends the series after the load stopped; it holds the last offered rate, so the stop is no demand change. */
  async sample(closing = false): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const tMs = performance.now() - this.t0;
      const last = this.samples[this.samples.length - 1];
      const offered = closing && last ? last.offeredRps : this.offeredAt(tMs);
      const [servers, state, ask] = await Promise.all([this.fleet.registry.list(), this.fleet.autoscaler.read(), this.decisions.latest()]);
      if (!state || !(state.targetRps > 0)) {
        this.once.warn('no-target', {}, 'elasticity: the autoscaler has no requests/s target in Redis; skipping samples');
        return;
      }
      this.targetRps = state.targetRps;
      this.samples.push(toSample(Math.round(tMs) / 1000, offered, servers, state.targetRps, ask));
    } catch (err) {
      this.once.warn('redis', { err: (err as Error).message }, 'elasticity: cannot read the fleet from Redis');
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<ElasticityResult | null> {
    clearInterval(this.timer);
    await this.sample(true);
    if (this.samples.length < 2) return null;
    return { targetRps: this.targetRps, definition: DEMAND_DEFINITION, samples: this.samples, metrics: elasticity(this.samples) };
  }
}
