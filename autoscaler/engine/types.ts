import type { MemoryReading, ProxyInfo, RequestStats, Server } from '../../fleet/index.js';

/** How fast the fleet may grow or shrink: the larger of `percent` % and `servers` per `periodMs`. */
export interface ScalePolicy {
  percent: number;
  servers: number;
  periodMs: number;
}

/** Everything the engine is tuned by. Times are milliseconds; a target of 0 turns that metric off. */
export interface EngineConfig {
  min: number;
  max: number;
  intervalMs: number;
  /** Requests/s one server should carry. */
  targetRps: number;
  /** Memory used % per host. */
  targetMemory: number;
  /** Requests in flight per server. */
  targetInflight: number;
  /** No change while demand / (target × current) stays within 1 ± tolerance. */
  tolerance: number;
  /** Scale in only to the highest recommendation seen in this window. */
  scaleDownWindowMs: number;
  /** A server ready for less than this counts as capacity but its metrics are left out. */
  warmupMs: number;
  /** Metrics (request stats, memory, proxy reports) older than this are stale. */
  staleAfterMs: number;
  /** A heartbeat older than this is stale; the server is dead only if the provider also says gone. */
  heartbeatTimeoutMs: number;
  /** A server still `launching` after this long is a boot failure. */
  bootTimeoutMs: number;
  /** Scale-up reads request rates over this short window, from the monotonic totals. */
  rateWindowMs: number;
  scaleUp: ScalePolicy;
  scaleDown: ScalePolicy;
  /** After n boot failures in a row, launches wait min(baseMs × 2^(n−1), maxMs). */
  backoff: { baseMs: number; maxMs: number };
}

/** One reading of a monotonic request total, stamped with when it was true (the writer's clock). */
export interface TotalSample {
  at: number;
  total: number;
  bootId: string;
}

/** What the provider knows of a server's process or instance; `unknown` for servers it did not start. */
export type ProviderView = 'alive' | 'gone' | 'unknown';

export interface ServerInput {
  server: Server;
  /** The request monitor's latest hash. */
  stats?: RequestStats;
  /** Recent readings of `stats.total`, oldest first, for the short-window rate. */
  samples?: TotalSample[];
  memory?: MemoryReading;
  provider: ProviderView;
}

export interface ProxyInput {
  info: ProxyInfo;
  /** Recent readings of the proxy's offered total, oldest first. */
  samples?: TotalSample[];
}

export interface EngineInput {
  now: number;
  config: EngineConfig;
  servers: ServerInput[];
  proxies: ProxyInput[];
  /** Why the provider's listing is incomplete (a new leader's first full listing under way): no scale-in on it. */
  incomplete?: string;
}

/** What the engine carries from one decision to the next; the caller stores it and passes it back. */
export interface History {
  /** Clamped recommendations, newest last, kept for the scale-down window. */
  recommendations: { at: number; desired: number }[];
  /** Scale actions taken (+launched / −removed; replacements excluded), for the policy periods. */
  actions: { at: number; delta: number }[];
  bootFailures: BootFailures;
}

export interface BootFailures {
  /** Failures in a row; reset when a server launched after the last failure becomes ready. */
  count: number;
  lastAt: number;
  /** Servers already counted, so one failure is not counted on every tick. */
  ids: string[];
}

export type MetricName = 'rps' | 'memory' | 'inflight';

export interface MetricRecommendation {
  metric: MetricName;
  target: number;
  /** Total demand in the metric's unit (requests/s, host memory %·servers, requests in flight). */
  demand: number;
  /** Where the demand was read: proxies' offered rate, the servers' own rates, hosts. */
  source: string;
  /** demand / (target × current servers); 1 means exactly on target. */
  ratio: number;
  /** Servers this metric asks for; `undefined` when it has no fresh data (it cannot vote). */
  desired: number | undefined;
  withinTolerance: boolean;
  formula: string;
}

export type DeadReason = 'boot-exit' | 'boot-timeout' | 'exited' | 'heartbeat-lost';

export interface DeadServer {
  id: string;
  instanceId: string;
  reason: DeadReason;
}

/** Which rule settled the decision; also the label of `decisions by reason` on /metrics. */
export type Rule =
  | 'scale-out'
  | 'scale-in'
  | 'replace'
  | 'steady'
  | 'tolerance'
  | 'stabilizing'
  | 'stale-hold'
  | 'stale-no-scale-in'
  | 'booting-no-scale-in'
  | 'listing-no-scale-in'
  | 'min'
  | 'max'
  | 'back-off'
  | 'no-metrics';

export interface ServerCounts {
  ready: number;
  warming: number;
  launching: number;
  draining: number;
  stale: number;
  dead: number;
}

export interface Explanation {
  counts: ServerCounts;
  /** Fresh proxies reporting, their summed offered and served rates (short window). */
  proxies: { count: number; offeredRps: number; servedRps: number };
  metrics: MetricRecommendation[];
  /** Max over the metrics that could vote, before clamping. */
  proposed: number;
  /** Highest clamped recommendation in the scale-down window (scale-in only). */
  stabilized?: number;
  /** The policy's bound for this period, when it applied. */
  limit?: number;
  bootFailures: number;
  backoffUntil?: number;
}

export interface Decision {
  at: number;
  action: 'scale-out' | 'scale-in' | 'none';
  /** Servers counted as capacity: launching, warming and ready, dead ones excluded. */
  current: number;
  desired: number;
  /** New servers to launch (scale-out and replacements of dead ones). */
  launch: number;
  /** Servers to drain and terminate, least-loaded newest first. */
  remove: string[];
  /** Servers to mark gone and terminate; they were not counted. */
  dead: DeadServer[];
  rule: Rule;
  reason: string;
  explanation: Explanation;
}
