import { accrue, costChange, emptyLedger, resumeLedger, priceOf, round, unpriced, type Billable, type CarriedLedger, type CostLedger, type Market, type PriceTable } from './engine/cost.js';
import type { Instance } from './providers/provider.js';

/** The fleet's cost as `shoal status`, `--json` and the dashboard show it (USD). */
export interface CostSummary {
  since: number;
  instanceHours: number;
  cost: number;
  perHour: number;
  /** Counted up to this moment (epoch ms): the tick that observed the fleet. */
  at: number;
  /** Instances billed at `at`, charged from then until the next tick (a new leader's first). */
  running: number;
  /** Instance types with no price (counted as 0). */
  unpriced: string[];
}

const billable = (i: Instance) => i.state === 'pending' || i.state === 'running' || i.state === 'stopping';

/**
 * The daemon's running cost: each tick's listing charged since the last (engine/cost.ts).
 * A new leader continues the totals its predecessor recorded.
 */
export class CostMeter {
  private ledger: CostLedger;

  constructor(
    private readonly prices: PriceTable,
    /** What a new server is launched as, when the provider knows (else: priced like the fleet's average). */
    private readonly launchAs?: { instanceType: string; market: Market },
  ) {
    this.ledger = emptyLedger(Date.now());
  }

  /** Continue from what the previous leader recorded (see resumeLedger). */
  resume(prev: CarriedLedger | undefined, now: number): void {
    this.ledger = resumeLedger(prev, now);
  }

  observe(instances: readonly Instance[], now: number): CostSummary {
    const billed: Billable[] = instances.filter(billable).map((i) => ({ id: i.id, instanceType: i.instanceType ?? 'local', market: i.market ?? 'on-demand' }));
    this.ledger = accrue(this.ledger, billed, now, this.prices);
    const l = this.ledger;
    return { since: l.since, instanceHours: round(l.instanceHours, 8), cost: round(l.cost, 8), perHour: round(l.perHour, 8), at: l.lastAt, running: l.running, unpriced: unpriced(this.prices, billed) };
  }

  /** USD per hour a decision adds (launches) or saves (servers drained). */
  change(launches: number, removed: readonly string[]): number {
    const billed = this.ledger.billed;
    const each = this.launchAs ? priceOf(this.prices, this.launchAs) : billed.length ? this.ledger.perHour / billed.length : 0;
    return costChange(this.prices, launches, each, billed.filter((b) => removed.includes(b.id)));
  }
}
