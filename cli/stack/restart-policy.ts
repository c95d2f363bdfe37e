/**
 * When a supervised child that exited is started again, like systemd's Restart= with
 * StartLimitBurst= and StartLimitIntervalSec=: each restart waits twice as long as the one
 * before (from `firstDelayMs`, capped at `maxDelayMs`), and an exit that would be restart
 * number `burst + 1` within `windowMs` is a crash loop: the stack gives up.
 */
export interface RestartPolicy {
  burst: number;
  windowMs: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const BACKOFF = { firstDelayMs: 100, maxDelayMs: 10_000 } as const;

export type RestartVerdict =
  | { restart: true; delayMs: number; /** restarts within the window, this one included */ inWindow: number }
  | { restart: false; inWindow: number };

/** Pure: the verdict for an exit at `now`, given the times of earlier restarts; returns the times to keep. */
export function afterExit(policy: RestartPolicy, restarts: readonly number[], now: number): { verdict: RestartVerdict; restarts: number[] } {
  const recent = restarts.filter((t) => now - t < policy.windowMs);
  if (recent.length >= policy.burst) return { verdict: { restart: false, inWindow: recent.length }, restarts: recent };
  const delayMs = Math.min(policy.firstDelayMs * 2 ** recent.length, policy.maxDelayMs);
  return { verdict: { restart: true, delayMs, inWindow: recent.length + 1 }, restarts: [...recent, now] };
}
