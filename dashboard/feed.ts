import type { ServerResponse } from 'node:http';
import { requestDemand } from '../capacity/demand.js';
import type { Fleet } from '../fleet/index.js';
import { readSnapshot } from '../fleet/snapshot.js';
import { statusView, type StatusView } from '../fleet/status-view.js';
import type { Logger } from '../lib/log.js';
import { OnceLog } from '../lib/log.js';

/** One point of the demand-vs-capacity chart. */
export interface CapacityPoint {
  t: number;
  /** Requests/s demand as the autoscaler reads it (capacity/demand.ts): the proxies' offered rate, or the servers' own when higher or when no proxy reports. */
  demand: number;
  /** Ready servers × target requests/s per server. */
  capacity: number;
  ready: number;
}

/** One line of the "Chaos events" pane: what `shoal chaos` and the Chaos Monkey did. */
export interface ChaosRow {
  at: number;
  /** experiment-started, action-started, action-failed, rollback-ended, verdict, monkey-kill … */
  event: string;
  text: string;
}

export interface DashboardUpdate {
  /** Down when the last sample's reads failed or went unanswered: the rest is then the last known data. */
  redis: 'up' | 'down';
  status: StatusView;
  point: CapacityPoint;
  /** The newest chaos events, newest first. */
  chaos: ChaosRow[];
}

/** Pure: a chaos event (fleet/chaos-events, written by chaos/events.ts) as a line for people. */
export function chaosRow(at: number, d: Record<string, unknown>): ChaosRow {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const event = str(d.event);
  const parts = [str(d.experiment), str(d.activity), str(d.detail)].filter(Boolean);
  return { at, event, text: parts.join(' — ') };
}

/** Pure: the chart point for one status view. */
export function capacityPoint(v: StatusView): CapacityPoint {
  const ready = v.servers.filter((s) => s.state === 'ready').length;
  const { rps } = requestDemand(v.proxies.length > 0 ? v.offeredRps : null, v.servers.reduce((n, s) => n + s.rps, 0));
  return { t: v.at, demand: Math.round(rps * 10) / 10, capacity: ready * (v.targets.rps ?? 0), ready };
}

/**
 * Samples the fleet once a second (one Redis round trip, fleet/snapshot.ts), keeps 15 minutes of chart points and pushes each
 * update to every connected dashboard over server-sent events.
 */
export class DashboardFeed {
  private readonly history: CapacityPoint[] = [];
  private readonly clients = new Set<ServerResponse>();
  private timer?: NodeJS.Timeout;
  private last?: DashboardUpdate;
  private readonly once: OnceLog;
  private sampling = false;

  constructor(
    private readonly fleet: Fleet,
    log: Logger,
    private readonly opts: { intervalMs?: number; historyMs?: number } = {},
  ) {
    this.once = new OnceLog(log);
  }

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.opts.intervalMs ?? 1000);
    this.timer.unref();
    void this.sample();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private push(update: DashboardUpdate): void {
    this.last = update;
    const msg = `event: update\ndata: ${JSON.stringify(update)}\n\n`;
    for (const c of this.clients) c.write(msg);
  }

  /** Serves GET /events: the history first, then one `update` event per sample. */
  subscribe(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`event: history\ndata: ${JSON.stringify(this.history)}\n\n`);
    if (this.last) res.write(`event: update\ndata: ${JSON.stringify(this.last)}\n\n`);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    res.on('error', () => this.clients.delete(res));
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const snap = await readSnapshot(this.fleet, { decisions: 10, chaos: 10 });
      const status = statusView(snap);
      const point = capacityPoint(status);
      this.history.push(point);
      const cutoff = point.t - (this.opts.historyMs ?? 15 * 60_000);
      while (this.history.length && this.history[0]!.t < cutoff) this.history.shift();
      this.push({ redis: 'up', status, point, chaos: snap.chaos.map((e) => chaosRow(e.at, e.data)) });
      this.once.clear('redis', 'dashboard: Redis reachable again');
    } catch (err) {
      this.once.warn('redis', { err }, 'dashboard: cannot read the fleet from Redis; the page keeps its last data');
      if (this.last) this.push({ ...this.last, redis: 'down' });
    } finally {
      this.sampling = false;
    }
  }
}
