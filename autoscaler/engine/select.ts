import type { Classified } from './health.js';
import { serverRate } from './metrics.js';
import type { EngineConfig, ServerInput } from './types.js';

/**
 * Which servers a scale-in removes: servers still launching first (they serve nothing yet),
 * then among the least-loaded ready servers (within the tolerance of the lightest) the
 * newest. Only servers the provider can terminate are chosen.
 */
export function pickVictims(c: Classified, count: number, cfg: EngineConfig): string[] {
  if (count <= 0) return [];
  const ours = (s: ServerInput) => s.provider !== 'unknown';
  const newest = (a: ServerInput, b: ServerInput) => b.server.launchedAt - a.server.launchedAt || b.server.id.localeCompare(a.server.id);
  const out = c.launching.filter(ours).sort(newest).map((s) => s.server.id);
  let ready = c.capacity
    .filter((s) => ours(s) && s.server.state === 'ready')
    .map((s) => ({ s, load: serverRate(s, cfg) + (s.stats?.inflight ?? 0) }));
  while (out.length < count && ready.length > 0) {
    const lightest = Math.min(...ready.map((r) => r.load));
    const band = lightest * (1 + cfg.tolerance) + 1;
    const pick = ready.filter((r) => r.load <= band).sort((a, b) => newest(a.s, b.s))[0]!;
    out.push(pick.s.server.id);
    ready = ready.filter((r) => r !== pick);
  }
  return out.slice(0, count);
}
