import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/**
 * shoal's one metrics scheme (docs/metrics.md): every series starts with `shoal_`, is in
 * base units (seconds, bytes), counters end in `_total`, and every series carries the
 * `service` (app, proxy, autoscaler) and `server` (the process's fleet id) it came from.
 */
export type Service = 'app' | 'proxy' | 'autoscaler';

/** Latency buckets in seconds, shared by every histogram so `le="0.1"` (the course's "under 100 ms") exists everywhere. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** `status_class` label values by status / 100: a table lookup, no string built per request. */
export const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export function statusClass(status: number): (typeof STATUS_CLASSES)[number] {
  const c = (status / 100) | 0;
  return STATUS_CLASSES[c > 0 && c < 6 ? c : 0]!;
}

/**
 * A registry for one process of one tier: `service` and `server` as default labels (added
 * at scrape time, not per observation) and Node's process metrics (CPU, memory, open fds,
 * event loop lag) under the same prefix. Several registries may live in one process (tests).
 */
export function tierRegistry(service: Service, server: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service, server });
  collectDefaultMetrics({ register: registry, prefix: 'shoal_' });
  return registry;
}

/** `shoal_redis_up`: 1 while this process's Redis answers, read at scrape time. */
export function redisUpGauge(registry: Registry, up: () => boolean): void {
  new Gauge({
    name: 'shoal_redis_up',
    help: '1 while Redis answers this process (0: holding on the last known state)',
    registers: [registry],
    collect() {
      this.set(up() ? 1 : 0);
    },
  });
}
