import type { AutoscalerState } from './autoscaler-state.js';
import type { StreamEntry } from './event-stream.js';
import type { Fleet } from './index.js';
import type { MemoryReading } from './memory-load.js';
import type { ProxyInfo } from './proxies.js';
import type { RequestStats } from './request-stats.js';
import type { Server } from './server.js';
import type { StackProcess } from './stack-processes.js';

/** Everything the fleet holds at one moment, read in a few round trips: for status views and the dashboard. */
export interface FleetSnapshot {
  at: number;
  servers: Server[];
  requests: Map<string, RequestStats>;
  memory: Map<string, MemoryReading>;
  proxies: ProxyInfo[];
  autoscaler: AutoscalerState | undefined;
  decisions: StreamEntry<Record<string, unknown>>[];
  poolVersion: number;
  /** What `shoal up` supervises; empty for a fleet not started by it. */
  processes: StackProcess[];
}

export async function readSnapshot(fleet: Fleet, opts: { decisions?: number } = {}): Promise<FleetSnapshot> {
  const servers = await fleet.registry.list();
  const addresses = servers.map((s) => s.address).filter(Boolean);
  const [requests, memory, proxies, autoscaler, decisions, poolVersion, processes] = await Promise.all([
    fleet.requests.readMany(addresses),
    fleet.memory.readAll(),
    fleet.proxies.list(),
    fleet.autoscaler.read(),
    fleet.decisions.recent(opts.decisions ?? 5),
    fleet.registry.poolVersion(),
    fleet.stackProcesses.readAll(),
  ]);
  return { at: Date.now(), servers, requests, memory, proxies, autoscaler, decisions, poolVersion, processes };
}
