import { addSample, shortRate } from '../engine/rates.js';
import type { TotalSample } from '../engine/types.js';
import type { Scaler, SimServer, SimView } from './world.js';

/** Kubernetes HPA v2's documented defaults (kubernetes.io, "Horizontal Pod Autoscaling"). */
export interface HpaOptions {
  min: number;
  max: number;
  /** Target average value of the per-pod requests/s metric. */
  targetRps: number;
  /**
   * `served` (default): a Pods metric, each ready pod's own served rate — what a stock HPA
   * sees; a saturated pod reports its capacity, not the load it turned away.
   * `offered`: an External metric with a per-pod AverageValue target fed the proxies' offered
   * rate — the demand signal shoal's engine gets.
   */
  signal?: 'served' | 'offered';
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
 * A model of the HPA controller with a requests/s metric: 15 s sync, tolerance 0.1,
 * scale-up limited to the larger of 4 pods or 100 % per 15 s, scale-down to the highest
 * recommendation of the last 300 s and at most 100 % per 15 s. With the `served` signal
 * (a Pods metric) desired = ceil(ratio × ready pods), unready pods counted as 0 % when
 * scaling up; with `offered` (an External metric, AverageValue target) desired =
 * ceil(offered / target) once offered / (target × current pods) is outside the tolerance
 * (replica_calculator.go's GetExternalPerPodMetricReplicas).
 */
export class HpaModel implements Scaler {
  readonly name: string;
  readonly intervalMs: number;
  private readonly o: Required<HpaOptions>;
  private readonly samples = new Map<string, TotalSample[]>();
  private offered: TotalSample[] = [];
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
      signal: 'served',
      ...opts,
    };
    this.name = this.o.signal === 'offered' ? 'hpa offered' : 'hpa served';
    this.intervalMs = this.o.syncMs;
  }

  observe(view: SimView): void {
    if (this.o.signal === 'offered') {
      this.offered = addSample(this.offered, { at: view.now, total: view.offeredTotal, bootId: 'proxies' }, this.o.metricWindowMs * 2);
      return;
    }
    for (const s of view.servers) {
      if (s.server.state !== 'ready') continue;
      this.samples.set(s.server.id, addSample(this.samples.get(s.server.id) ?? [], { at: view.now, total: s.total, bootId: s.server.bootId }, this.o.metricWindowMs * 2));
    }
  }

  tick(view: SimView): { launch: number; remove: string[] } {
    const o = this.o;
    const pods = view.servers.filter((s) => s.server.state === 'launching' || s.server.state === 'ready');
    const current = pods.length;
    const rec = o.signal === 'offered' ? this.fromOffered(current) : this.fromServed(pods);
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

  /** Pods metric: each ready pod's served rate over the metric window. */
  private fromServed(pods: SimServer[]): number {
    const o = this.o;
    const current = pods.length;
    const ready = pods.filter((s) => s.server.state === 'ready');
    const unready = current - ready.length;
    const sum = ready.reduce((a, s) => a + (shortRate(this.samples.get(s.server.id), o.metricWindowMs) ?? 0), 0);
    if (ready.length === 0) return current;
    const ratio = sum / ready.length / o.targetRps;
    if (unready === 0 || ratio < 1) return Math.abs(ratio - 1) > o.tolerance ? Math.ceil(ratio * ready.length - 1e-9) : current;
    // Scaling up with pods still starting: count them as using nothing (dampens the step).
    const r2 = sum / current / o.targetRps;
    return r2 > 1 + o.tolerance ? Math.ceil(r2 * current - 1e-9) : current;
  }

  /** External metric, AverageValue target: the offered rate over the metric window, over all pods. */
  private fromOffered(current: number): number {
    const o = this.o;
    const rate = shortRate(this.offered, o.metricWindowMs);
    if (rate === undefined || current === 0) return current;
    const ratio = rate / (o.targetRps * current);
    return Math.abs(ratio - 1) > o.tolerance ? Math.ceil(rate / o.targetRps - 1e-9) : current;
  }

  private changed(now: number, periodMs: number, sign: 1 | -1): number {
    this.events = this.events.filter((e) => e.at > now - 300_000);
    return this.events.filter((e) => e.at > now - periodMs && Math.sign(e.delta) === sign).reduce((a, e) => a + Math.abs(e.delta), 0);
  }
}
