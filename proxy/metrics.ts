import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { UpstreamSet } from './upstream.js';

/** Status classes and proxy error codes as counter children, bound once so the hot path does no label lookups. */
type Bound = { inc(v?: number): void };

/** The proxy's Prometheus metrics; one registry per process, summed across workers by the primary. */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'code'>;
  private readonly byClass: Record<string, Bound>;
  readonly latency: Histogram;
  readonly retries: Counter<'outcome'>;
  readonly ejections: Counter<'server'>;
  readonly upstreamErrors: Counter<'kind'>;

  constructor(upstreams: () => UpstreamSet | undefined) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'shoal_proxy_requests_total',
      help: 'Requests answered, by status class, or by proxy error code when the proxy answered itself',
      labelNames: ['code'],
      registers,
    });
    this.byClass = {};
    for (const c of ['1xx', '2xx', '3xx', '4xx', '5xx']) this.byClass[c] = this.requests.labels(c);
    this.latency = new Histogram({
      name: 'shoal_proxy_request_duration_seconds',
      help: 'Time from request arrival to the last byte of the answer',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
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
    this.byClass[`${Math.floor(status / 100)}xx`]?.inc();
    this.latency.observe(seconds);
  }

  refused(code: string, seconds: number): void {
    this.requests.inc({ code });
    this.latency.observe(seconds);
  }

  /** In a cluster worker: hand this registry to the primary when it asks. */
  shareWithPrimary(): void {
    // constructing one installs prom-client's worker-side message listener
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([this.registry]);
  }
}
