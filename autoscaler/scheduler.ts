import { applyAction, due, upcoming, type ScheduledAction, type Sizes } from './engine/schedule.js';

/** A fired scheduled action as a decision records it. */
export interface ScheduledFiring {
  action: string;
  at: number;
  changes: string;
}

/** How far back a new leader looks for the firings that set today's sizes (a monthly action included). */
const RESUME_MS = 35 * 24 * 3600_000;

/**
 * The daemon's scheduled sizes: the configured min/max as the last firings left them. Holds
 * no timer — the daemon asks at each tick what fired since the last one.
 */
export class Scheduler {
  private sizes: Sizes;
  private from = 0;

  constructor(
    private readonly actions: readonly ScheduledAction[],
    readonly tz: string,
    private readonly base: Sizes,
  ) {
    this.sizes = { ...base };
  }

  /** On becoming leader: the sizes the firings of the past weeks left, applied silently (they were recorded when they fired). */
  resume(now: number): void {
    this.sizes = { ...this.base };
    for (const f of due(this.actions, this.tz, now - RESUME_MS, now)) this.sizes = applyAction(this.sizes, f.action);
    this.from = now;
  }

  /** Applies what fired in (last call, now], in order: the sizes now, a one-time desired floor, and what changed. */
  take(now: number): { sizes: Sizes; desired?: number; fired: ScheduledFiring[] } {
    if (this.from === 0) this.resume(now);
    const fired: ScheduledFiring[] = [];
    let desired: number | undefined;
    for (const f of due(this.actions, this.tz, this.from, now)) {
      const next = applyAction(this.sizes, f.action);
      this.sizes = { min: next.min, max: next.max };
      if (next.desired !== undefined) desired = next.desired;
      fired.push({ action: f.action.text, at: f.at, changes: next.changes });
    }
    this.from = Math.max(this.from, now);
    return { sizes: this.sizes, ...(desired !== undefined ? { desired } : {}), fired };
  }

  upcoming(now: number, count = 5): { text: string; at: number }[] {
    return upcoming(this.actions, this.tz, now, count);
  }
}
