import { z } from 'zod';

/**
 * Faults an operator or a test injects into the endpoint: what AWS does on a bad day.
 * Capacity rules fail RunInstances in a zone and/or for an instance type; throttling
 * answers RequestLimitExceeded for the next N calls or above a call rate; boots can be
 * slow (time spent pending) or fail (pending → terminated); a launch's answer can be lost.
 */
export const faultSettings = z.object({
  /** Each rule matches launches in `zone` (any if absent) of `instanceType` (any if absent). */
  capacity: z.array(z.object({ zone: z.string().min(1).optional(), instanceType: z.string().min(1).optional() }).strict()).default([]),
  /** The next N API calls (of `throttleActions`, or any) are throttled. */
  throttleNext: z.number().int().min(0).default(0),
  /** Calls per second allowed (1 s burst) before throttling; 0 = no limit. */
  throttleRate: z.number().min(0).default(0),
  /** Limits throttling to these actions (e.g. ["RunInstances"]); empty = every action. */
  throttleActions: z.array(z.string().min(1)).default([]),
  /** How long each instance stays pending before its process starts. */
  bootDelayMs: z.number().int().min(0).default(0),
  /** The next N instances to boot fail: pending → terminated, no process started. */
  failBootNext: z.number().int().min(0).default(0),
  /**
   * The next N RunInstances launch their instances, then answer InternalError as if the
   * response were lost: a caller's retry must reuse its ClientToken or launch twice.
   */
  lostLaunchResponses: z.number().int().min(0).default(0),
  /** Spot launches fail InsufficientInstanceCapacity (On-Demand ones still succeed). */
  noSpotCapacity: z.boolean().default(false),
  /** Interruption notices per Spot instance-hour, issued at random (0 = only on request). */
  spotInterruptRate: z.number().min(0).default(0),
  /** The notice's lead time for random interruptions (AWS: two minutes). */
  spotNoticeMs: z.number().int().min(0).default(120_000),
});

export type FaultSettings = z.output<typeof faultSettings>;

export interface FaultCounters {
  throttled: number;
  capacityErrors: number;
  failedBoots: number;
  lostResponses: number;
}

export class Faults {
  settings: FaultSettings;
  readonly counters: FaultCounters = { throttled: 0, capacityErrors: 0, failedBoots: 0, lostResponses: 0 };
  private tokens = 0;
  private refilledAt = 0;

  constructor(initial: z.input<typeof faultSettings> = {}) {
    this.settings = faultSettings.parse(initial);
  }

  /** Replaces the fields given (the admin API's PATCH semantics); the rest stay. */
  update(patch: Partial<FaultSettings>): void {
    this.settings = faultSettings.parse({ ...this.settings, ...patch });
    this.tokens = this.settings.throttleRate;
  }

  reset(): void {
    this.settings = faultSettings.parse({});
  }

  /** True if this call is to be answered RequestLimitExceeded. */
  throttle(action: string, now: number): boolean {
    const s = this.settings;
    if (s.throttleActions.length > 0 && !s.throttleActions.includes(action)) return false;
    if (s.throttleNext > 0) {
      s.throttleNext--;
      this.counters.throttled++;
      return true;
    }
    if (s.throttleRate <= 0) return false;
    this.tokens = Math.min(s.throttleRate, this.tokens + ((now - this.refilledAt) / 1000) * s.throttleRate);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens--;
      return false;
    }
    this.counters.throttled++;
    return true;
  }

  /** True if a launch in `zone` of `instanceType` has no capacity. */
  noCapacity(zone: string, instanceType: string): boolean {
    const hit = this.settings.capacity.some((r) => (!r.zone || r.zone === zone) && (!r.instanceType || r.instanceType === instanceType));
    if (hit) this.counters.capacityErrors++;
    return hit;
  }

  /** True if this launch's response is to be "lost". */
  takeLostResponse(): boolean {
    if (this.settings.lostLaunchResponses <= 0) return false;
    this.settings.lostLaunchResponses--;
    this.counters.lostResponses++;
    return true;
  }

  /** True if the instance now booting is to fail. */
  takeBootFailure(): boolean {
    if (this.settings.failBootNext <= 0) return false;
    this.settings.failBootNext--;
    this.counters.failedBoots++;
    return true;
  }
}
