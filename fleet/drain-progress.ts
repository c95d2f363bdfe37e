import type { Fleet } from './index.js';
import type { Server } from './server.js';

/** How far a drain has got: what still holds it back. */
export interface DrainProgress {
  /** Live proxies that have not yet applied the pool version the drain created. */
  proxiesBehind: string[];
  /** The server's in-flight count from a monitor flush after the drain began; null until one arrives. */
  inflight: number | null;
  /** Nothing holds it back: no proxy sends it new work and nothing is in flight. */
  drained: boolean;
}

/**
 * Where a drain of `server` stands: every live proxy must have applied `version` (the pool
 * change that marked it draining), and the in-flight count read after `since` must be 0.
 * The autoscaler's scale-in and `shoal drain` wait on this same test.
 */
export async function drainProgress(fleet: Fleet, server: Server, version: number, since: number): Promise<DrainProgress> {
  const proxies = await fleet.proxies.list();
  const proxiesBehind = proxies.filter((p) => p.appliedPoolVersion < version).map((p) => p.id);
  const stats = server.address ? await fleet.requests.read(server.address) : undefined;
  // No monitor hash at all: nothing ever counted there. A reading from before the drain
  // could predate the last request sent to it, so it does not count.
  const inflight = !stats ? 0 : stats.updatedAt > since ? stats.inflight : null;
  return { proxiesBehind, inflight, drained: proxiesBehind.length === 0 && inflight === 0 };
}
