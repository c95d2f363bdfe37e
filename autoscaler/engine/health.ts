import type { BootFailures, DeadServer, EngineConfig, ServerInput } from './types.js';

/** The fleet sorted by what each server means for capacity and for the metrics. */
export interface Classified {
  /** Launching, warming and ready servers that are not dead: what the fleet has. */
  capacity: ServerInput[];
  launching: ServerInput[];
  warming: ServerInput[];
  /** Ready, warmed up, with fresh request stats: the servers whose metrics count. */
  measured: ServerInput[];
  /** Ready and warmed up but with a stale heartbeat or stale/missing stats: counted, not measured. */
  stale: ServerInput[];
  draining: ServerInput[];
  dead: DeadServer[];
}

/**
 * A server is dead when the provider says its process or instance is gone (its listing is
 * the authority: a stale heartbeat alone is a Redis blip, not a death), or when it outlasts
 * the boot timeout while `launching`. A stale server the provider still sees keeps counting.
 */
export function classify(servers: readonly ServerInput[], cfg: EngineConfig, now: number): Classified {
  const c: Classified = { capacity: [], launching: [], warming: [], measured: [], stale: [], draining: [], dead: [] };
  for (const s of servers) {
    const sv = s.server;
    if (sv.state === 'gone') continue;
    if (sv.state === 'draining') {
      c.draining.push(s);
      continue;
    }
    if (sv.state === 'launching') {
      if (s.provider === 'gone') c.dead.push({ id: sv.id, instanceId: sv.instanceId, reason: 'boot-exit' });
      else if (now - sv.launchedAt > cfg.bootTimeoutMs) c.dead.push({ id: sv.id, instanceId: sv.instanceId, reason: 'boot-timeout' });
      else {
        c.capacity.push(s);
        c.launching.push(s);
      }
      continue;
    }
    const heartbeatStale = now - sv.heartbeatAt > cfg.heartbeatTimeoutMs;
    if (s.provider === 'gone') {
      c.dead.push({ id: sv.id, instanceId: sv.instanceId, reason: heartbeatStale ? 'heartbeat-lost' : 'exited' });
      continue;
    }
    c.capacity.push(s);
    if (now - sv.stateChangedAt < cfg.warmupMs) c.warming.push(s);
    else if (heartbeatStale || !s.stats || now - s.stats.updatedAt > cfg.staleAfterMs) c.stale.push(s);
    else c.measured.push(s);
  }
  return c;
}

/**
 * Counts each boot failure once and forgets them all when a server launched after the
 * last failure has become ready (the command works again).
 */
export function updateBootFailures(prev: BootFailures, dead: readonly DeadServer[], servers: readonly ServerInput[], now: number): BootFailures {
  let { count, lastAt } = prev;
  const ids = new Set(prev.ids);
  if (count > 0 && servers.some((s) => s.server.state === 'ready' && s.server.launchedAt > lastAt)) count = 0;
  for (const d of dead) {
    if (d.reason === 'heartbeat-lost' || d.reason === 'exited' || ids.has(d.id)) continue;
    ids.add(d.id);
    count++;
    lastAt = now;
  }
  return { count, lastAt, ids: [...ids].slice(-50) };
}

/** When launches may resume after `count` failures in a row; 0 when there is no back-off. */
export function backoffUntil(f: BootFailures, cfg: EngineConfig): number {
  if (f.count === 0) return 0;
  return f.lastAt + Math.min(cfg.backoff.baseMs * 2 ** (f.count - 1), cfg.backoff.maxMs);
}
