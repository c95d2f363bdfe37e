import type { Server } from '../fleet/index.js';

/**
 * Pure: the ready servers an action aims at. `random` picks `count` distinct ones (with the
 * given uniform source), anything else names one server by id or host:port.
 */
export function pickServers(servers: readonly Server[], target: string, count: number, random: () => number): Server[] {
  const ready = servers.filter((s) => s.state === 'ready');
  if (target !== 'random') return ready.filter((s) => s.id === target || s.address === target).slice(0, 1);
  const pool = [...ready];
  const out: Server[] = [];
  while (out.length < count && pool.length) out.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
  return out;
}

/** Pure: every ready server in one zone. */
export function zoneServers(servers: readonly Server[], zone: string): Server[] {
  return servers.filter((s) => s.state === 'ready' && s.zone === zone);
}
