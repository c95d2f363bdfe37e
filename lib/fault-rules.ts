import { z } from 'zod';

/**
 * An HTTP fault as Istio's fault rules put it: delay N ms and/or abort with status S, for
 * P % of requests, at one app server or at the proxy for one upstream, for a while.
 */
export const HttpFaultSchema = z
  .object({
    delayMs: z.number().int().min(0).max(60_000).default(0),
    abortStatus: z.number().int().min(400).max(599).optional(),
    percent: z.number().min(0).max(100).default(100),
    /** At the proxy: only requests sent to this app server id; absent = every request. */
    upstream: z.string().min(1).optional(),
    /** The fault lifts by itself after this long, so a chaos run that dies leaves nothing behind. */
    durationMs: z.number().int().positive().max(3_600_000).default(300_000),
  })
  .strict()
  .refine((f) => f.delayMs > 0 || f.abortStatus !== undefined, { message: 'give delayMs > 0, abortStatus, or both' });
export type HttpFault = z.infer<typeof HttpFaultSchema>;

export interface ActiveFault extends HttpFault {
  until: number;
}

/** What to do to one request: wait this long first, then answer with this status (or forward). */
export interface FaultChoice {
  delayMs: number;
  abortStatus?: number;
}

/** Pure: the first active rule for this upstream whose dice say yes; `r` is a fresh uniform [0,1). */
export function chooseFault(rules: readonly ActiveFault[], upstream: string | undefined, now: number, r: number): FaultChoice | undefined {
  for (const f of rules) {
    if (f.until <= now) continue;
    if (f.upstream !== undefined && f.upstream !== upstream) continue;
    if (r * 100 >= f.percent) continue;
    return { delayMs: f.delayMs, abortStatus: f.abortStatus };
  }
  return undefined;
}

/** The faults one process (an app server, a proxy) applies. Empty unless --enable-faults and a chaos tool asked. */
export class FaultRules {
  private rules: ActiveFault[] = [];

  add(f: HttpFault, now = Date.now()): ActiveFault {
    const active = { ...f, until: now + f.durationMs };
    this.rules = [...this.rules.filter((x) => x.until > now), active];
    return active;
  }

  clear(): void {
    this.rules = [];
  }

  /** The hot path: one length check when no fault was ever asked for. */
  choose(upstream: string | undefined, now = Date.now()): FaultChoice | undefined {
    if (this.rules.length === 0) return undefined;
    return chooseFault(this.rules, upstream, now, Math.random());
  }

  list(now = Date.now()): ActiveFault[] {
    return this.rules.filter((f) => f.until > now);
  }
}
