/**
 * Zone arithmetic shared by the providers (where to launch) and the engine (where to scale
 * in from): launches go to the zone with the fewest servers, scale-in takes from the fullest,
 * ties broken by the configured zone order, so the fleet stays balanced across zones.
 */

/** How many of `zones` (each server's zone) fall in each zone; configured zones start at 0. */
export function zoneCounts(configured: readonly string[], zones: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>(configured.map((z) => [z, 0]));
  for (const z of zones) counts.set(z, (counts.get(z) ?? 0) + 1);
  return counts;
}

/** The zones for `count` new servers, given the zones of the servers already running. */
export function placeLaunches(configured: readonly string[], running: readonly string[], count: number): string[] {
  if (configured.length === 0) return [];
  const counts = zoneCounts(configured, running.filter((z) => configured.includes(z)));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let best = configured[0]!;
    for (const z of configured) if (counts.get(z)! < counts.get(best)!) best = z;
    counts.set(best, counts.get(best)! + 1);
    out.push(best);
  }
  return out;
}

/**
 * Of the zones `candidates` are in, the one holding the most servers (counted over the whole
 * fleet, `all`); a tie goes to the zone that sorts last, so with zones configured in order,
 * launches (which fill the first) and scale-in do not keep swapping the same zone.
 */
export function fullestZone(all: readonly string[], candidates: readonly string[]): string | undefined {
  const counts = zoneCounts([], all);
  let best: string | undefined;
  for (const z of new Set(candidates)) {
    const d = best === undefined ? 1 : counts.get(z)! - counts.get(best)!;
    if (d > 0 || (d === 0 && z > best!)) best = z;
  }
  return best;
}
