import type { EventStream, StreamEntry } from './event-stream.js';

/** What the autoscaler asked for in one recorded decision: the figures a load report puts beside its own demand. */
export interface AutoscalerAsk {
  /** When it decided (epoch ms). */
  at: number;
  /** Servers it wanted after its rules (tolerance, stabilization, bounds). */
  desired: number;
  /** Servers it counted as capacity. */
  current: number;
  rule: string;
  /** The requests/s demand it read (proxies' offered rate or the servers' own), when that metric is on. */
  rps: number | null;
  /** The requests/s metric's own vote, before the other metrics and the rules; null when it could not vote. */
  rpsVote: number | null;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Pure: the fields of a decision entry as the autoscaler writes them (autoscaler/record.ts); undefined for an entry without a desired count. */
export function askOf(entry: StreamEntry<Record<string, unknown>>): AutoscalerAsk | undefined {
  const d = entry.data;
  const desired = num(d.desired);
  if (desired === null) return undefined;
  const metrics = (d.explanation as { metrics?: unknown } | undefined)?.metrics;
  const rps = Array.isArray(metrics) ? (metrics as Record<string, unknown>[]).find((m) => m.metric === 'rps') : undefined;
  return {
    at: entry.at,
    desired,
    current: num(d.current) ?? desired,
    rule: typeof d.rule === 'string' ? d.rule : '',
    rps: rps ? num(rps.demand) : null,
    rpsVote: rps ? num(rps.desired) : null,
  };
}

/**
 * Follows the decision stream: each call reads only the entries added since the last one
 * and returns the newest decision so far. The autoscaler records a decision when something
 * changes, so the newest entry is what it still asks for.
 */
export class DecisionTail {
  private lastId: string | undefined;
  private newest: AutoscalerAsk | undefined;

  constructor(private readonly stream: EventStream<Record<string, unknown>>) {}

  async latest(): Promise<AutoscalerAsk | undefined> {
    let rows = this.lastId === undefined ? await this.stream.recent(1) : await this.stream.after(this.lastId, 500);
    while (rows.length > 0) {
      for (const row of rows) this.newest = askOf(row) ?? this.newest;
      this.lastId = rows[rows.length - 1]!.id;
      if (rows.length < 500) break;
      rows = await this.stream.after(this.lastId, 500);
    }
    this.lastId ??= '0-0';
    return this.newest;
  }
}
