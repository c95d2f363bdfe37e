/**
 * What the fleet costs: instance-hours and money so far, and per hour now, from a price per
 * instance type and purchase option. Pure: the daemon feeds it each tick's listing.
 */
export type Market = 'on-demand' | 'spot';

/** USD per instance-hour, by instance type and purchase option. */
export type PriceTable = Record<string, { onDemand: number; spot: number }>;

/** What one listed instance costs by: its type and how it was bought. */
export interface Billable {
  id: string;
  instanceType: string;
  market: Market;
}

export interface CostLedger {
  /** Since when this ledger counts (epoch ms). */
  since: number;
  instanceHours: number;
  /** USD so far. */
  cost: number;
  /** USD per hour for the instances of the last observation. */
  perHour: number;
  /** The last observation: everything before it is counted. */
  lastAt: number;
  /** How many instances were billed at the last observation (charged until the next one). */
  running: number;
  /** Those instances, when this process observed them (a resumed ledger knows only their count and price). */
  billed: Billable[];
}

/** What a leader records of its ledger, for the next leader to continue from. */
export type CarriedLedger = Pick<CostLedger, 'since' | 'instanceHours' | 'cost' | 'perHour'> & { at?: number; running?: number };

/** Spot when no Spot price is configured: a typical discount (Spot prices move; configure them with --prices). */
export const SPOT_SHARE = 0.3;

/**
 * Defaults: On-Demand Linux list prices in us-east-1 (USD/hour); Spot at 30 % of them. `local`
 * (an app server process on this machine) costs nothing unless priced.
 */
const ON_DEMAND: Record<string, number> = {
  local: 0,
  'm1.small': 0.044,
  't3.micro': 0.0104,
  't3.small': 0.0208,
  't3.medium': 0.0416,
  't3.large': 0.0832,
  't3.xlarge': 0.1664,
  't4g.small': 0.0168,
  't4g.medium': 0.0336,
  'm5.large': 0.096,
  'm5.xlarge': 0.192,
  'm6i.large': 0.096,
  'm6i.xlarge': 0.192,
  'm7g.large': 0.0816,
  'c5.large': 0.085,
  'c5.xlarge': 0.17,
  'c6i.large': 0.085,
  'c7g.large': 0.0725,
  'r5.large': 0.126,
  'r6i.large': 0.126,
};

export const DEFAULT_PRICES: PriceTable = Object.fromEntries(Object.entries(ON_DEMAND).map(([t, p]) => [t, { onDemand: p, spot: round(p * SPOT_SHARE, 6) }]));

/**
 * `t3.small=0.02,t3.small:spot=0.006,local=0.01` over the defaults. A type given only
 * On-Demand gets Spot at the usual share. Throws a message naming the bad entry.
 */
export function parsePrices(text: string, base: PriceTable = DEFAULT_PRICES): PriceTable {
  const out: PriceTable = { ...base };
  const spotGiven = new Set<string>();
  for (const entry of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z0-9.-]+)(?::(on-demand|spot))?=(\d+(?:\.\d+)?)$/i.exec(entry);
    if (!m) throw new Error(`expected TYPE=USD or TYPE:spot=USD per hour, got "${entry}"`);
    const [, type, market, price] = m;
    const cur = out[type!] ?? { onDemand: 0, spot: 0 };
    if (market === 'spot') {
      out[type!] = { ...cur, spot: Number(price) };
      spotGiven.add(type!);
    } else out[type!] = { onDemand: Number(price), spot: spotGiven.has(type!) ? cur.spot : round(Number(price) * SPOT_SHARE, 6) };
  }
  return out;
}

/** USD per hour of one instance; an unknown type costs 0 and is reported by `unpriced`. */
export function priceOf(prices: PriceTable, b: Pick<Billable, 'instanceType' | 'market'>): number {
  const p = prices[b.instanceType];
  if (!p) return 0;
  return b.market === 'spot' ? p.spot : p.onDemand;
}

export function unpriced(prices: PriceTable, billed: readonly Billable[]): string[] {
  return [...new Set(billed.map((b) => b.instanceType).filter((t) => !prices[t]))];
}

export function emptyLedger(now: number): CostLedger {
  return { since: now, instanceHours: 0, cost: 0, perHour: 0, lastAt: now, running: 0, billed: [] };
}

/**
 * A new leader's ledger: its predecessor's, as of the last observation it recorded, so the
 * instances billed then are charged until this leader's first one — the takeover gap included,
 * nothing counted twice. A record without that moment (older leaders) resumes from `now`.
 */
export function resumeLedger(prev: CarriedLedger | undefined, now: number): CostLedger {
  if (!prev) return emptyLedger(now);
  const { since, instanceHours, cost } = prev;
  if (prev.at === undefined || prev.running === undefined) return { ...emptyLedger(now), since, instanceHours, cost };
  return { since, instanceHours, cost, perHour: prev.perHour, lastAt: Math.min(prev.at, now), running: prev.running, billed: [] };
}

/**
 * One observation: the instances billed at the last one are charged for the time since
 * (a launch or termination is counted from the tick that sees it), then the new set is
 * what runs now.
 */
export function accrue(l: CostLedger, billed: readonly Billable[], now: number, prices: PriceTable): CostLedger {
  const hours = Math.max(0, now - l.lastAt) / 3_600_000;
  const instanceHours = l.instanceHours + l.running * hours;
  const cost = l.cost + l.perHour * hours;
  const perHour = billed.reduce((sum, b) => sum + priceOf(prices, b), 0);
  return { since: l.since, instanceHours, cost, perHour, lastAt: now, running: billed.length, billed: [...billed] };
}

/** The cost per hour a decision adds (launches at `launchPrice` each) or saves (the servers it removes). */
export function costChange(prices: PriceTable, launches: number, launchPrice: number, removed: readonly Billable[]): number {
  return round(launches * launchPrice - removed.reduce((s, b) => s + priceOf(prices, b), 0), 6);
}

export function round(n: number, digits = 4): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}
