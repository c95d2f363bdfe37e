import type { FleetSnapshot } from './snapshot.js';
import type { DataPlane } from './proxies.js';
import type { ServerState } from './server.js';
import type { StackProcess } from './stack-processes.js';

export interface ServerRow {
  id: string;
  address: string;
  state: ServerState;
  provider: string;
  rps: number;
  p95Ms: number | null;
  memoryPercent: number | null;
  inflight: number;
  ageSeconds: number;
  /** Seconds since the request monitor last wrote; null when it never did. */
  metricsAgeSeconds: number | null;
}

export interface DecisionRow {
  at: number;
  desired: number | null;
  actual: number | null;
  action: string;
  reason: string;
  /** USD per hour the decision added or saved; null when not recorded. */
  costPerHourChange: number | null;
}

/** What `shoal status --json` prints and the dashboard shows: like `kubectl get hpa` plus `get pods`. */
export interface StatusView {
  at: number;
  desired: number | null;
  actual: number;
  min: number | null;
  max: number | null;
  targets: { rps: number | null; memoryPercent: number | null };
  leader: string | null;
  offeredRps: number;
  servedRps: number;
  /** Each live proxy with the data plane it runs (node, or haproxy driven by shoal). */
  proxies: { id: string; address: string; dataPlane: DataPlane; appliedPoolVersion: number; offeredRps: number; servedRps: number }[];
  poolVersion: number;
  servers: ServerRow[];
  decisions: DecisionRow[];
  /** The autoscaler's next scheduled actions, soonest first. */
  schedule: { text: string; at: number }[];
  /** The fleet's cost as the autoscaler last counted it (USD); null before it has. */
  cost: { since: number; instanceHours: number; cost: number; perHour: number; at?: number; running?: number; unpriced: string[] } | null;
  /** The processes `shoal up` supervises (empty otherwise): restarts and last exit. */
  processes: ProcessRow[];
}

export interface ProcessRow {
  name: string;
  pid: number;
  state: StackProcess['state'];
  restarts: number;
  lastExit: string | null;
  /** Seconds since the last unexpected exit; null if none. */
  lastExitAgoSeconds: number | null;
  uptimeSeconds: number;
  log: string;
  url: string | null;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Pure: shapes a fleet snapshot for people. `gone` servers are left out; actual counts launching + ready. */
export function statusView(s: FleetSnapshot): StatusView {
  const servers = s.servers
    .filter((x) => x.state !== 'gone')
    .map((x): ServerRow => {
      const req = s.requests.get(x.address);
      const mem = s.memory.get(x.address);
      return {
        id: x.id,
        address: x.address,
        state: x.state,
        provider: x.provider,
        rps: req ? round(req.rps) : 0,
        p95Ms: req ? round(req.p95Ms) : null,
        memoryPercent: mem ? round(mem.usedPercent) : null,
        inflight: req?.inflight ?? 0,
        ageSeconds: Math.max(0, Math.round((s.at - x.launchedAt) / 1000)),
        metricsAgeSeconds: req ? Math.max(0, round((s.at - req.updatedAt) / 1000)) : null,
      };
    });
  const a = s.autoscaler;
  return {
    at: s.at,
    desired: a ? a.desired : null,
    actual: servers.filter((x) => x.state === 'ready' || x.state === 'launching').length,
    min: a ? a.min : null,
    max: a ? a.max : null,
    targets: { rps: a && a.targetRps > 0 ? a.targetRps : null, memoryPercent: a && a.targetMemory > 0 ? a.targetMemory : null },
    leader: a ? a.leaderId : null,
    offeredRps: round(s.proxies.reduce((n, p) => n + p.offeredRps, 0)),
    servedRps: round(s.proxies.reduce((n, p) => n + p.servedRps, 0)),
    proxies: s.proxies.map((p) => ({ id: p.id, address: p.address, dataPlane: p.dataPlane ?? 'node', appliedPoolVersion: p.appliedPoolVersion, offeredRps: round(p.offeredRps), servedRps: round(p.servedRps) })),
    poolVersion: s.poolVersion,
    servers,
    decisions: s.decisions.map((e) => decisionRow(e.at, e.data)),
    schedule: a?.nextActions ?? [],
    cost: a?.cost ?? null,
    processes: s.processes.map((p) => ({
      name: p.name,
      pid: p.pid,
      state: p.state,
      restarts: p.restarts,
      lastExit: p.lastExit || null,
      lastExitAgoSeconds: p.lastExitAt ? Math.max(0, Math.round((s.at - p.lastExitAt) / 1000)) : null,
      uptimeSeconds: Math.max(0, Math.round((s.at - p.startedAt) / 1000)),
      log: p.log,
      url: p.url ?? null,
    })),
  };
}

function decisionRow(at: number, d: Record<string, unknown>): DecisionRow {
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return { at, desired: num(d.desired), actual: num(d.actual ?? d.current), action: str(d.action), reason: str(d.reason), costPerHourChange: num(d.costPerHourChange) };
}
