import { AggregatorRegistry, Counter, Gauge, type Registry } from 'prom-client';
import { RequestHistogram, type Series } from '../lib/histogram-series.js';
import { redisUpGauge, STATUS_CLASSES, statusClass, tierRegistry } from '../lib/metrics.js';
import { statusFor, type ProxyErrorCode } from './errors.js';
import { failOpenGauge } from './fail-open.js';
import type { UpstreamSet } from './upstream.js';

/** Status classes an app server's answer can have (index = status / 100). */
const ANSWER_CLASSES = STATUS_CLASSES.slice(1);

/**
 * The proxy's Prometheus metrics; one registry per process, summed across workers by the
 * primary. Requests are `shoal_http_requests_total` and `shoal_http_request_duration_seconds`
 * as on the app servers (service="proxy"), with a `code` label when the proxy answered itself.
 */
export class ProxyMetrics {
  readonly registry: Registry;
  private readonly requests: RequestHistogram;
  /** Answers from app servers, by status / 100. */
  private readonly byClass: Series[] = [];
  /** Answers the proxy made itself, by error code (rare: a Map is fine). */
  private readonly byCode = new Map<string, Series>();
  readonly retries: Counter<'outcome'>;
  readonly ejections: Counter<'upstream'>;
  readonly upstreamErrors: Counter<'kind'>;

  constructor(upstreams: () => UpstreamSet | undefined, redisUp: () => boolean) {
    this.registry = tierRegistry('proxy', '');
    const registers = [this.registry];
    this.requests = new RequestHistogram(
      this.registry,
      { name: 'shoal_http_request_duration_seconds', help: 'Time from request arrival to the last byte of the answer, by status class (and code when the proxy answered)' },
      { name: 'shoal_http_requests_total', help: 'Requests answered, by status class; `code` names the error when the proxy answered itself' },
    );
    this.byClass.push(this.requests.series({ status_class: STATUS_CLASSES[0] }));
    for (const status_class of ANSWER_CLASSES) this.byClass.push(this.requests.series({ status_class }));
    redisUpGauge(this.registry, redisUp);
    this.retries = new Counter({
      name: 'shoal_proxy_retries_total',
      help: 'Failed attempts: retried to another server, or refused with the policy reason',
      labelNames: ['outcome'],
      registers,
    });
    this.ejections = new Counter({ name: 'shoal_proxy_ejections_total', help: 'Passive ejections of a server after consecutive failures', labelNames: ['upstream'], registers });
    this.upstreamErrors = new Counter({ name: 'shoal_proxy_upstream_errors_total', help: 'Failed upstream attempts by kind (connect, sent, timeout)', labelNames: ['kind'], registers });
    new Gauge({
      name: 'shoal_proxy_upstream_inflight',
      help: 'Requests sent to each server and not yet answered',
      labelNames: ['upstream', 'address', 'state'],
      registers,
      collect() {
        this.reset();
        const set = upstreams();
        if (!set) return;
        for (const u of set.members()) this.set({ upstream: u.id, address: u.address, state: u.state }, u.inflight);
      },
    });
    new Gauge({
      name: 'shoal_proxy_upstream_healthy',
      help: '1 when a server may take new requests (ready, checks passing, not ejected)',
      labelNames: ['upstream'],
      registers,
      collect() {
        this.reset();
        const set = upstreams();
        if (!set) return;
        const now = Date.now();
        for (const u of set.members()) this.set({ upstream: u.id }, u.state === 'ready' && u.health.up && u.health.ejectedUntil <= now ? 1 : 0);
      },
    });
    failOpenGauge(this.registry, () => upstreams()?.failingOpen ?? false);
  }

  /** Client sockets waiting for their next bytes: silent since they connected, or kept alive and parked between requests. */
  waitingClients(counts: () => { silent: number; parked: number }): void {
    new Gauge({
      name: 'shoal_proxy_waiting_client_sockets',
      help: 'Client sockets holding no HTTP state while they wait for bytes: silent since connecting, or parked between kept-alive requests',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const c = counts();
        this.set({ state: 'silent' }, c.silent);
        this.set({ state: 'parked' }, c.parked);
      },
    });
  }

  /** The proxy's fleet id, known once it listens: the `server` label of every series. */
  identify(server: string): void {
    this.registry.setDefaultLabels({ service: 'proxy', server });
  }

  answered(status: number, seconds: number): void {
    const c = (status / 100) | 0;
    this.byClass[c > 0 && c < 6 ? c : 0]!.observe(seconds);
  }

  refused(code: ProxyErrorCode | 'client_closed', seconds: number): void {
    let s = this.byCode.get(code);
    // a client that went away got no answer: counted as nginx's 499, never as a server error
    if (!s) this.byCode.set(code, (s = this.requests.series({ status_class: code === 'client_closed' ? '4xx' : statusClass(statusFor(code)), code })));
    s.observe(seconds);
  }

  /** In a cluster worker: hand this registry to the primary when it asks. */
  shareWithPrimary(): void {
    // constructing one installs prom-client's worker-side message listener
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([this.registry]);
  }
}
