import type { TerminateReason } from './engine/reconcile.js';
import type { Decision } from './engine/types.js';
import type { ScheduledFiring } from './scheduler.js';

/** A decision as recorded on the fleet's event stream, the log and /decisions. */
export interface DecisionRecord extends Decision {
  /** The autoscaler that decided, and its fencing token when it led. */
  leader: string;
  token?: number;
  dryRun: boolean;
  /** What was done about it (nothing in a dry run). */
  /** USD per hour this decision adds (launches) or saves (negative: servers removed). */
  costPerHourChange: number;
  /** Scheduled actions that fired before this decision, and what they changed. */
  scheduled?: ScheduledFiring[];
  acted: { launched: string[]; draining: string[]; markedGone: string[]; terminated: { id: string; instanceId: string; reason: TerminateReason }[] };
}

/**
 * Whether a decision goes on the (capped) stream: anything that acts, finds dead servers,
 * or changes the rule or desired count. A steady fleet writes nothing new every tick.
 */
export function worthRecording(prev: DecisionRecord | undefined, d: Decision, acted: DecisionRecord['acted']): boolean {
  if (!prev || acted.terminated.length > 0) return true;
  return d.action !== 'none' || d.dead.length > 0 || d.rule !== prev.rule || d.desired !== prev.desired || d.current !== prev.current;
}

/** Recent decisions in memory, newest last, for /decisions. */
export class DecisionLog {
  private readonly items: DecisionRecord[] = [];
  constructor(private readonly cap = 500) {}

  push(r: DecisionRecord): void {
    this.items.push(r);
    if (this.items.length > this.cap) this.items.shift();
  }

  get last(): DecisionRecord | undefined {
    return this.items[this.items.length - 1];
  }

  newest(limit: number): DecisionRecord[] {
    return this.items.slice(-limit).reverse();
  }
}
