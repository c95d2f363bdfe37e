import type { MetricValueWithName, Registry } from 'prom-client';
import { LATENCY_BUCKETS } from './metrics.js';

/**
 * One labelled series of a request histogram, counted in a plain array. prom-client's
 * `observe` and `inc` hash and copy their labels on every call; on the request path a
 * caller keeps this handle and `observe` is one loop and three additions. The buckets
 * become metric values only when scraped.
 */
export class Series {
  readonly counts = new Float64Array(LATENCY_BUCKETS.length);
  sum = 0;
  count = 0;

  constructor(readonly labels: Record<string, string>) {}

  observe(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    if (i < LATENCY_BUCKETS.length) this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

interface MetricShape {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: MetricValueWithName<string>[];
}

/**
 * `<name>_seconds` (histogram) and `<count>` (its `_total` counter) over the same series,
 * registered as metrics a prom-client registry reads at scrape time; a cluster primary
 * sums them across workers (aggregator `sum`).
 */
export class RequestHistogram {
  private readonly all: Series[] = [];

  constructor(registry: Registry, seconds: { name: string; help: string }, count: { name: string; help: string }) {
    const all = this.all;
    const histogram = {
      ...seconds,
      get(): MetricShape {
        const values: MetricValueWithName<string>[] = [];
        for (const s of all) {
          let cumulative = 0;
          for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
            cumulative += s.counts[i]!;
            values.push({ metricName: `${seconds.name}_bucket`, labels: { ...s.labels, le: LATENCY_BUCKETS[i]! }, value: cumulative });
          }
          values.push({ metricName: `${seconds.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
          values.push({ metricName: `${seconds.name}_sum`, labels: s.labels, value: s.sum });
          values.push({ metricName: `${seconds.name}_count`, labels: s.labels, value: s.count });
        }
        return { name: seconds.name, help: seconds.help, type: 'histogram', aggregator: 'sum', values };
      },
      reset: () => this.reset(),
    };
    const counter = {
      ...count,
      get: (): MetricShape => ({ name: count.name, help: count.help, type: 'counter', aggregator: 'sum', values: all.map((s) => ({ metricName: count.name, labels: s.labels, value: s.count })) }),
      reset: () => this.reset(),
    };
    registry.registerMetric(histogram as never);
    registry.registerMetric(counter as never);
  }

  /** A new series; callers look it up once per label set and keep it. */
  series(labels: Record<string, string>): Series {
    const s = new Series(labels);
    this.all.push(s);
    return s;
  }

  private reset(): void {
    for (const s of this.all) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}
