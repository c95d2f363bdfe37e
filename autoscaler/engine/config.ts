import { HEARTBEAT_LOST_MS } from '../../fleet/server.js';
import type { EngineConfig, History } from './types.js';

export type EngineSettings = Partial<EngineConfig> & Pick<EngineConfig, 'min' | 'max' | 'intervalMs'>;

/**
 * Fills in the defaults, most derived from the interval: metrics are stale after 3 intervals
 * (at least 3 s, three monitor flushes), a new server warms up for 2 intervals, the fleet may
 * grow by the larger of +100 % or +4 per interval (so a 5× step is sized in one decision) and
 * shrink by half per interval once the 60 s window agrees.
 */
export function engineConfig(s: EngineSettings): EngineConfig {
  const i = s.intervalMs;
  return {
    targetRps: 0,
    targetMemory: 0,
    targetInflight: 0,
    tolerance: 0.1,
    scaleDownWindowMs: 60_000,
    warmupMs: 2 * i,
    staleAfterMs: Math.max(3 * i, 3000),
    heartbeatTimeoutMs: Math.max(3 * i, HEARTBEAT_LOST_MS),
    bootTimeoutMs: 60_000,
    rateWindowMs: Math.min(i, 1000),
    scaleUp: { percent: 100, servers: 4, periodMs: i },
    scaleDown: { percent: 50, servers: 1, periodMs: i },
    backoff: { baseMs: Math.max(2 * i, 2000), maxMs: 300_000 },
    ...s,
  };
}

export function emptyHistory(): History {
  return { recommendations: [], actions: [], bootFailures: { count: 0, lastAt: 0, ids: [] } };
}
