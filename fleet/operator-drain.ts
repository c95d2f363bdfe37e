import { ShoalError } from '../lib/errors.js';
import { drainProgress, type DrainProgress } from './drain-progress.js';
import type { Fleet } from './index.js';
import type { Server } from './server.js';

export interface DrainOutcome {
  server: Server;
  how: 'drained' | 'timeout';
  /** The pool version the drain created (or found, when already draining). */
  version: number;
  progress: DrainProgress;
  waitedMs: number;
}

async function mustFind(fleet: Fleet, idOrAddress: string): Promise<Server> {
  const s = await fleet.registry.find(idOrAddress);
  if (!s) throw new ShoalError('SHOAL_ERR_NOT_FOUND', `no server with id or address ${JSON.stringify(idOrAddress)} in the fleet`, 404);
  return s;
}

/**
 * An operator's drain (`shoal drain`): mark the server draining, then wait until every live
 * proxy applied that pool and its in-flight count is 0, or `timeoutMs`. The server keeps
 * running; whoever drained it stops it or undrains it.
 */
export async function drainServer(fleet: Fleet, idOrAddress: string, o: { timeoutMs: number; pollMs: number }): Promise<DrainOutcome> {
  const server = await mustFind(fleet, idOrAddress);
  const since = Date.now();
  const res = await fleet.registry.draining(server.id, since);
  if (!res.ok && res.state !== 'draining') {
    throw new ShoalError('SHOAL_ERR_NOT_DRAINABLE', `server ${server.id} (${server.address || 'no address'}) is ${res.state || 'unknown'}, not ready: nothing to drain`, 409);
  }
  // Already draining: the pool version at hand covers the change that marked it.
  const version = res.ok ? res.version! : await fleet.registry.poolVersion();
  const deadline = since + o.timeoutMs;
  for (;;) {
    const progress = await drainProgress(fleet, server, version, since);
    const waitedMs = Date.now() - since;
    if (progress.drained) return { server, how: 'drained', version, progress, waitedMs };
    if (Date.now() >= deadline) return { server, how: 'timeout', version, progress, waitedMs };
    await new Promise((r) => setTimeout(r, Math.min(o.pollMs, Math.max(1, deadline - Date.now()))));
  }
}

/** `shoal undrain`: a draining server back to `ready`; `already` when it was ready. */
export async function undrainServer(fleet: Fleet, idOrAddress: string): Promise<{ server: Server; how: 'undrained' | 'already'; version: number }> {
  const server = await mustFind(fleet, idOrAddress);
  const res = await fleet.registry.undrain(server.id);
  if (res.ok) return { server, how: 'undrained', version: res.version! };
  if (res.state === 'ready') return { server, how: 'already', version: await fleet.registry.poolVersion() };
  throw new ShoalError('SHOAL_ERR_NOT_DRAINABLE', `server ${server.id} (${server.address || 'no address'}) is ${res.state || 'unknown'}: only a draining server can be undrained`, 409);
}
