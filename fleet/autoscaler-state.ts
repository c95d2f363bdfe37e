import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** What the active autoscaler last recorded about itself, for `shoal status` and the load tool. */
export interface AutoscalerState {
  leaderId: string;
  provider: string;
  min: number;
  max: number;
  /** Requests/s per server; 0 = off. */
  targetRps: number;
  /** Memory used % per host; 0 = off. */
  targetMemory: number;
  desired: number;
  actual: number;
  intervalMs: number;
  lastDecision: string;
  updatedAt: number;
  /** host:port of the leader's admin port (/metrics, /sd), for service discovery. */
  adminAddress?: string;
  /** The next scheduled actions (text, epoch ms), soonest first. */
  nextActions?: { text: string; at: number }[];
  /** The fleet's cost (USD): since when, instance-hours and cost so far, per hour now, types without a price; counted up to `at` with `running` instances billed then (what a new leader continues from). */
  cost?: { since: number; instanceHours: number; cost: number; perHour: number; at?: number; running?: number; unpriced: string[] };
}

const NUMERIC = ['min', 'max', 'targetRps', 'targetMemory', 'desired', 'actual', 'intervalMs', 'updatedAt'] as const;

export class AutoscalerStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async write(state: AutoscalerState): Promise<void> {
    const args: string[] = [];
    for (const [k, v] of Object.entries(state)) if (v !== undefined) args.push(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
    await this.redis.hset(this.keys.autoscalerState, ...args);
  }

  async read(): Promise<AutoscalerState | undefined> {
    return parseAutoscalerState(await this.redis.hgetall(this.keys.autoscalerState));
  }
}

export function parseAutoscalerState(h: Record<string, string>): AutoscalerState | undefined {
  if (h.desired === undefined) return undefined;
  const s = { leaderId: h.leaderId ?? '', provider: h.provider ?? '', lastDecision: h.lastDecision ?? '', adminAddress: h.adminAddress ?? '' } as AutoscalerState;
  for (const k of NUMERIC) s[k] = Number(h[k] ?? 0);
  s.nextActions = json(h.nextActions, []);
  const cost = json<AutoscalerState['cost']>(h.cost, undefined);
  if (cost) s.cost = cost;
  return s;
}

/** A JSON field, or the fallback when absent or not JSON (written by an older autoscaler). */
function json<T>(v: string | undefined, fallback: T): T {
  if (!v) return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}
