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

export interface DashboardUpdate {
  status: StatusView;
  point: CapacityPoint;
  chaos: { at: number; data: Record<string, unknown> }[];
}

/** Pure: the chart point for one status view. */
export function capacityPoint(v: StatusView): CapacityPoint {
  const ready = v.servers.filter((s) => s.state === 'ready').length;
  const { rps } = requestDemand(v.proxies.length > 0 ? v.offeredRps : null, v.servers.reduce((n, s) => n + s.rps, 0));
  return { t: v.at, demand: Math.round(rps * 10) / 10, capacity: ready * (v.targets.rps ?? 0), ready };
}

/**
 * Samples the fleet once a second, keeps 15 minutes of chart points and pushes each
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
      const status = statusView(await readSnapshot(this.fleet, { decisions: 10 }));
      const chaos = (await this.fleet.chaosEvents.recent(10)).map((e) => ({ at: e.at, data: e.data }));
      const point = capacityPoint(status);
      this.history.push(point);
      const cutoff = point.t - (this.opts.historyMs ?? 15 * 60_000);
      while (this.history.length && this.history[0]!.t < cutoff) this.history.shift();
      this.last = { status, point, chaos };
      const msg = `event: update\ndata: ${JSON.stringify(this.last)}\n\n`;
      for (const c of this.clients) c.write(msg);
      this.once.clear('redis', 'dashboard: Redis reachable again');
    } catch (err) {
      this.once.warn('redis', { err }, 'dashboard: cannot read the fleet from Redis; the page keeps its last data');
    } finally {
      this.sampling = false;
    }
  }
}
