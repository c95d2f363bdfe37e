/**
 * Demand, defined once for the autoscaler, the dashboard, the load report and the
 * simulator. Pure arithmetic, no I/O.
 */

/** How the load report and the docs spell the definition below. */
export const DEMAND_DEFINITION = '⌈offered / target⌉';

/**
 * Demand in servers (SPEC RG: the fewest resource units that serve the offered load at the
 * target): ⌈demand / target per server⌉ — for requests/s, 200 at 50 per server is 4, 201
 * is 5. No tolerance band: that band is the autoscaler's rule for *acting*, relative to the
 * current fleet, not part of what the load needs. The 1e-9 keeps 250 / 50 = 5.000000001 at 5.
 */
export function serversNeeded(demand: number, perServer: number): number {
  if (!(perServer > 0)) throw new RangeError(`target per server must be > 0, got ${perServer}`);
  return Math.max(0, Math.ceil(demand / perServer - 1e-9));
}

/** Where the requests/s demand was read. */
export type DemandSource = 'proxies' | 'servers';

/**
 * The requests/s demand signal: what the proxies were offered (503s included, so saturated
 * servers cannot hide demand), but never less than the servers say they served (traffic
 * that bypasses the proxies is demand too). Without a reporting proxy, the servers' own
 * rates. `proxiesOffered` is null when no proxy reports.
 */
export function requestDemand(proxiesOffered: number | null, serversServed: number): { rps: number; source: DemandSource } {
  if (proxiesOffered === null || serversServed > proxiesOffered) return { rps: serversServed, source: 'servers' };
  return { rps: proxiesOffered, source: 'proxies' };
}
