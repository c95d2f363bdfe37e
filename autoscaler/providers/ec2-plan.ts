/** A subnet the fleet may launch into, with the zone AWS reports for it. */
export interface Subnet {
  id: string;
  zone: string;
}

export interface LaunchAttempt {
  subnet: Subnet;
  /** Undefined when the launch template chooses the type. */
  instanceType?: string;
}

/**
 * The order one launch tries its options in: the wanted zone's subnets first, then the
 * other subnets (configured order), all with the first instance type; then the same with
 * the next type. A zone short of one type is left before a type is given up.
 */
export function launchPlan(subnets: readonly Subnet[], instanceTypes: readonly string[], zone: string): LaunchAttempt[] {
  const ordered = [...subnets.filter((s) => s.zone === zone), ...subnets.filter((s) => s.zone !== zone)];
  const types: (string | undefined)[] = instanceTypes.length > 0 ? [...instanceTypes] : [undefined];
  return types.flatMap((instanceType) => ordered.map((subnet) => (instanceType ? { subnet, instanceType } : { subnet })));
}

export type LaunchErrorKind = 'throttled' | 'capacity' | 'transient' | 'fatal';

const THROTTLED = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'RequestThrottled']);
// No room for this type in this zone (or the type is not offered there): another subnet or type may work.
const CAPACITY = new Set(['InsufficientInstanceCapacity', 'InsufficientCapacity', 'InsufficientHostCapacity', 'Unsupported', 'InsufficientFreeAddressesInSubnet']);
const TRANSIENT = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable', 'TimeoutError', 'ECONNRESET', 'ECONNREFUSED']);

/** How a failed RunInstances is handled: retried with back-off (throttled, capacity, transient), or given up at once. */
export function launchErrorKind(name: string): LaunchErrorKind {
  if (THROTTLED.has(name)) return 'throttled';
  if (CAPACITY.has(name)) return 'capacity';
  if (TRANSIENT.has(name)) return 'transient';
  return 'fatal';
}

/**
 * Spot or On-Demand for the next launch: Spot while the fleet's Spot share, counting this
 * launch, stays within `maxShare` (so an interruption wave cannot take more than that).
 */
export function chooseMarket(spot: number, total: number, maxShare: number): 'spot' | 'on-demand' {
  return (spot + 1) / (total + 1) <= maxShare + 1e-9 ? 'spot' : 'on-demand';
}

/** Exponential back-off with full jitter: attempt 0 waits up to base, 1 up to 2×base, … capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  return Math.round(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}
