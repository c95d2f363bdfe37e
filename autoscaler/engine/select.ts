import type { Classified } from './health.js';
import { serverRate } from './metrics.js';
import type { EngineConfig, ServerInput } from './types.js';
import { fullestZone } from './zones.js';

/**
 * Which servers a scale-in removes: servers still launching first (they serve nothing yet),
 * then, from the fullest zone, among the least-loaded ready servers (within the tolerance of
 * the lightest) the newest. Only servers the provider can terminate are chosen.
 */
export function pickVictims(c: Classified, count: number, cfg: EngineConfig): string[] {
  if (count <= 0) return [];
  const ours = (s: ServerInput) => s.provider !== 'unknown';
  const newest = (a: ServerInput, b: ServerInput) => b.server.launchedAt - a.server.launchedAt || b.server.id.localeCompare(a.server.id);
  const out = c.launching.filter(ours).sort(newest).map((s) => s.server.id);
  let ready = c.capacity
    .filter((s) => ours(s) && s.server.state === 'ready')
    .map((s) => ({ s, load: serverRate(s, cfg) + (s.stats?.inflight ?? 0) }));
  const fleetZones = new Map(c.capacity.map((s) => [s.server.id, s.server.zone]));
  for (const id of out) fleetZones.delete(id);
  while (out.length < count && ready.length > 0) {
    const zone = fullestZone([...fleetZones.values()], ready.map((r) => r.s.server.zone));
    const inZone = ready.filter((r) => r.s.server.zone === zone);
    const lightest = Math.min(...inZone.map((r) => r.load));
    const band = lightest * (1 + cfg.tolerance) + 1;
    const pick = inZone.filter((r) => r.load <= band).sort((a, b) => newest(a.s, b.s))[0]!;
    out.push(pick.s.server.id);
    fleetZones.delete(pick.s.server.id);
    ready = ready.filter((r) => r !== pick);
  }
  return out.slice(0, count);
}
