import { LATENCY_BINS, latencyBin, percentile } from './latency-histogram.js';

export interface WindowSnapshot {
  /** Requests completed within the window. */
  count: number;
  /** count divided by the time the window covers (at least one bucket). */
  rps: number;
  p50Ms: number;
  p95Ms: number;
}

/**
 * A ring of per-bucket (1 s by default) request counts and latency histograms covering the
 * last `windowMs`. Buckets are reused in place: no allocation per request or per second.
 * Times are monotonic milliseconds (performance.now()).
 */
export class SlidingWindow {
  private readonly size: number;
  private readonly epochs: Float64Array;
  private readonly counts: Uint32Array;
  private readonly bins: Uint32Array;
  private readonly merged = new Uint32Array(LATENCY_BINS);

  constructor(
    windowMs: number,
    private readonly startedAt: number,
    private readonly bucketMs = 1000,
  ) {
    this.size = Math.max(1, Math.ceil(windowMs / bucketMs));
    this.epochs = new Float64Array(this.size).fill(-1);
    this.counts = new Uint32Array(this.size);
    this.bins = new Uint32Array(this.size * LATENCY_BINS);
  }

  record(now: number, latencyMs: number): void {
    const slot = this.slotFor(Math.floor(now / this.bucketMs));
    this.counts[slot]!++;
    this.bins[slot * LATENCY_BINS + latencyBin(latencyMs)]!++;
  }

  snapshot(now: number): WindowSnapshot {
    const epoch = Math.floor(now / this.bucketMs);
    const oldest = epoch - this.size + 1;
    const merged = this.merged;
    merged.fill(0);
    let count = 0;
    for (let s = 0; s < this.size; s++) {
      const e = this.epochs[s]!;
      if (e < oldest || e > epoch || this.counts[s] === 0) continue;
      count += this.counts[s]!;
      const base = s * LATENCY_BINS;
      for (let b = 0; b < LATENCY_BINS; b++) merged[b]! += this.bins[base + b]!;
    }
    // The window covers the finished buckets plus the running one, but never more than
    // the time since the monitor started (else a young server would under-report).
    const coveredMs = Math.max(this.bucketMs, now - Math.max(oldest * this.bucketMs, this.startedAt));
    return {
      count,
      rps: Math.round((count / (coveredMs / 1000)) * 100) / 100,
      p50Ms: percentile(merged, count, 0.5),
      p95Ms: percentile(merged, count, 0.95),
    };
  }

  private slotFor(epoch: number): number {
    const slot = epoch % this.size;
    if (this.epochs[slot] !== epoch) {
      this.epochs[slot] = epoch;
      this.counts[slot] = 0;
      this.bins.fill(0, slot * LATENCY_BINS, (slot + 1) * LATENCY_BINS);
    }
    return slot;
  }
}
