import { AggregatorRegistry, Counter, Gauge, Registry, type MetricValueWithName } from 'prom-client';
import type { UpstreamSet } from './upstream.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A label-less Prometheus histogram counted in a plain array. prom-client's `observe`
 * allocates and hashes labels on every call; on the request path this is one loop and
 * three additions, and the buckets are only turned into metric values when scraped.
 */
class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts = new Float64Array(LATENCY_BUCKETS.length);
  private sum = 0;
  private count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  observe(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    if (i < LATENCY_BUCKETS.length) this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }

  /** What a prom-client registry reads from a metric at scrape time (and the primary sums across workers). */
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValueWithName<string>[] } {
    const values: MetricValueWithName<string>[] = [];
    let cumulative = 0;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      cumulative += this.counts[i]!;
      values.push({ metricName: `${this.name}_bucket`, labels: { le: LATENCY_BUCKETS[i]! }, value: cumulative });
    }
    values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, value: this.count });
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: this.sum });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: this.count });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

const CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** The proxy's Prometheus metrics; one registry per process, summed across workers by the primary. */
export class ProxyMetrics {
  readonly registry = new Registry();
  /** Answers from app servers by status class (index = status / 100), copied into the counter at scrape time. */
  private readonly byClass = new Float64Array(CLASSES.length);
  /** Answers the proxy made itself, by error code (rare: a Map is fine). */
  private readonly byCode = new Map<string, number>();
  readonly latency: LatencyHistogram;
  readonly retries: Counter<'outcome'>;
  readonly ejections: Counter<'server'>;
  readonly upstreamErrors: Counter<'kind'>;

  constructor(upstreams: () => UpstreamSet | undefined) {
    const registers = [this.registry];
    const { byClass, byCode } = this;
    new Counter({
      name: 'shoal_proxy_requests_total',
      help: 'Requests answered, by status class, or by proxy error code when the proxy answered itself',
      labelNames: ['code'],
      registers,
      collect() {
        this.reset();
        for (let i = 1; i < CLASSES.length; i++) if (byClass[i]) this.inc({ code: CLASSES[i]! }, byClass[i]);
        for (const [code, n] of byCode) this.inc({ code }, n);
      },
    });
    this.latency = new LatencyHistogram('shoal_proxy_request_duration_seconds', 'Time from request arrival to the last byte of the answer');
    this.registry.registerMetric(this.latency as never);
    this.retries = new Counter({
      name: 'shoal_proxy_retries_total',
      help: 'Failed attempts: retried to another server, or refused with the policy reason',
      labelNames: ['outcome'],
      registers,
    });
    this.ejections = new Counter({ name: 'shoal_proxy_ejections_total', help: 'Passive ejections of a server after consecutive failures', labelNames: ['server'], registers });
    this.upstreamErrors = new Counter({ name: 'shoal_proxy_upstream_errors_total', help: 'Failed upstream attempts by kind (connect, sent, timeout)', labelNames: ['kind'], registers });
    new Gauge({
      name: 'shoal_proxy_upstream_inflight',
      help: 'Requests sent to each server and not yet answered',
      labelNames: ['server', 'address', 'state'],
      registers,
      collect() {
        this.reset();
        const set = upstreams();
        if (!set) return;
        for (const u of set.members()) this.set({ server: u.id, address: u.address, state: u.state }, u.inflight);
      },
    });
    new Gauge({
      name: 'shoal_proxy_upstream_healthy',
      help: '1 when a server may take new requests (ready, checks passing, not ejected)',
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        const set = upstreams();
        if (!set) return;
        const now = Date.now();
        for (const u of set.members()) this.set({ server: u.id }, u.state === 'ready' && u.health.up && u.health.ejectedUntil <= now ? 1 : 0);
      },
    });
  }

  answered(status: number, seconds: number): void {
    const c = (status / 100) | 0;
    if (c > 0 && c < CLASSES.length) this.byClass[c]!++;
    this.latency.observe(seconds);
  }

  refused(code: string, seconds: number): void {
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    this.latency.observe(seconds);
  }

  /** In a cluster worker: hand this registry to the primary when it asks. */
  shareWithPrimary(): void {
    // constructing one installs prom-client's worker-side message listener
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([this.registry]);
  }
}
