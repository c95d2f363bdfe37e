import { addSample, shortRate } from '../engine/rates.js';
import type { TotalSample } from '../engine/types.js';
import type { Scaler, SimView } from './world.js';

/** Kubernetes HPA v2's documented defaults (kubernetes.io, "Horizontal Pod Autoscaling"). */
export interface HpaOptions {
  min: number;
  max: number;
  /** Target average value of the per-pod requests/s metric. */
  targetRps: number;
  syncMs?: number;
  tolerance?: number;
  /** Rate the per-pod metric is read over (a metrics adapter's window). */
  metricWindowMs?: number;
  scaleUpPods?: number;
  scaleUpPercent?: number;
  scaleUpPeriodMs?: number;
  scaleDownWindowMs?: number;
  scaleDownPercent?: number;
  scaleDownPeriodMs?: number;
}

/**
 * A model of the HPA controller with a Pods-type requests/s metric: 15 s sync, tolerance
 * 0.1, desired = ceil(ratio × ready pods), unready pods counted as 0 % when scaling up,
 * scale-up limited to the larger of 4 pods or 100 % per 15 s, scale-down to the highest
 * recommendation of the last 300 s and at most 100 % per 15 s. It sees what pods serve.
 */
export class HpaModel implements Scaler {
  readonly name = 'hpa';
  readonly intervalMs: number;
  private readonly o: Required<HpaOptions>;
  private readonly samples = new Map<string, TotalSample[]>();
  private recs: { at: number; n: number }[] = [];
  private events: { at: number; delta: number }[] = [];

  constructor(opts: HpaOptions) {
    this.o = {
      syncMs: 15_000,
      tolerance: 0.1,
      metricWindowMs: 15_000,
      scaleUpPods: 4,
      scaleUpPercent: 100,
      scaleUpPeriodMs: 15_000,
      scaleDownWindowMs: 300_000,
      scaleDownPercent: 100,
      scaleDownPeriodMs: 15_000,
      ...opts,
    };
    this.intervalMs = this.o.syncMs;
  }

  observe(view: SimView): void {
    for (const s of view.servers) {
      if (s.server.state !== 'ready') continue;
      this.samples.set(s.server.id, addSample(this.samples.get(s.server.id) ?? [], { at: view.now, total: s.total, bootId: s.server.bootId }, this.o.metricWindowMs * 2));
    }
  }

  tick(view: SimView): { launch: number; remove: string[] } {
    const o = this.o;
    const pods = view.servers.filter((s) => s.server.state === 'launching' || s.server.state === 'ready');
    const current = pods.length;
    const ready = pods.filter((s) => s.server.state === 'ready');
    const unready = current - ready.length;
    const values = ready.map((s) => shortRate(this.samples.get(s.server.id), o.metricWindowMs) ?? 0);
    const sum = values.reduce((a, b) => a + b, 0);
    let rec = current;
    if (ready.length > 0) {
      const ratio = sum / ready.length / o.targetRps;
      if (unready === 0 || ratio < 1) {
        if (Math.abs(ratio - 1) > o.tolerance) rec = Math.ceil(ratio * ready.length - 1e-9);
      } else {
        // Scaling up with pods still starting: count them as using nothing (dampens the step).
        const n = ready.length + unready;
        const r2 = sum / n / o.targetRps;
        if (r2 > 1 + o.tolerance) rec = Math.ceil(r2 * n - 1e-9);
      }
    }
    this.recs = this.recs.filter((r) => r.at > view.now - o.scaleDownWindowMs);
    this.recs.push({ at: view.now, n: rec });
    let desired = current;
    if (rec > current) desired = rec;
    const downStab = Math.max(...this.recs.map((r) => r.n));
    if (downStab < current) desired = downStab;
    const added = this.changed(view.now, o.scaleUpPeriodMs, 1);
    const removed = this.changed(view.now, o.scaleDownPeriodMs, -1);
    const upStart = current - added;
    const upLimit = Math.max(upStart + o.scaleUpPods, Math.floor(upStart * (1 + o.scaleUpPercent / 100)));
    const downStart = current + removed;
    const downLimit = Math.max(0, downStart - Math.floor((downStart * o.scaleDownPercent) / 100));
    desired = Math.min(o.max, Math.max(o.min, Math.min(upLimit, Math.max(downLimit, desired))));
    const delta = desired - current;
    if (delta !== 0) this.events.push({ at: view.now, delta });
    // Kubernetes removes the newest, least useful pods first; pending ones before running ones.
    const remove = delta < 0 ? [...pods].sort((a, b) => (a.server.state === 'launching' ? -1 : 0) - (b.server.state === 'launching' ? -1 : 0) || b.server.launchedAt - a.server.launchedAt).slice(0, -delta).map((s) => s.server.id) : [];
    return { launch: Math.max(0, delta), remove };
  }

  private changed(now: number, periodMs: number, sign: 1 | -1): number {
    this.events = this.events.filter((e) => e.at > now - 300_000);
    return this.events.filter((e) => e.at > now - periodMs && Math.sign(e.delta) === sign).reduce((a, e) => a + Math.abs(e.delta), 0);
  }
}
