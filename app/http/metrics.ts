import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import type { Registry } from 'prom-client';
import { RequestHistogram, Series } from '../../lib/histogram-series.js';
import { statusClass, tierRegistry } from '../../lib/metrics.js';

/**
 * Prometheus metrics for one app server, on its own registry so several apps in one
 * process (tests) do not collide. Routes are labelled by their template, never the raw
 * path, to keep the label set bounded.
 */
export class HttpMetrics {
  readonly registry: Registry;
  private readonly requests: RequestHistogram;
  /** method → route template → status class → series: three Map lookups per request, nothing hashed. */
  private readonly series = new Map<string, Map<string, Map<string, Series>>>();
  /** Where excluded requests are observed: the same code runs, nothing is exported. */
  private readonly unexported = new Series({});

  /** `exclude`: requests that are not traffic (the app's own warm-up), kept out of the series. */
  constructor(
    server: string,
    private readonly exclude?: (req: IncomingMessage) => boolean,
  ) {
    this.registry = tierRegistry('app', server);
    this.requests = new RequestHistogram(
      this.registry,
      { name: 'shoal_http_request_duration_seconds', help: 'Time from request arrival to the answer, by method, route template and status class' },
      { name: 'shoal_http_requests_total', help: 'HTTP requests answered, by method, route template and status class' },
    );
  }

  middleware(): Middleware {
    return async (ctx, next) => {
      const start = performance.now();
      try {
        await next();
      } finally {
        const seconds = (performance.now() - start) / 1000;
        const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
        if (this.exclude?.(ctx.req)) this.unexported.observe(seconds);
        else this.find(ctx.method, typeof route === 'string' ? route : 'unmatched', statusClass(ctx.status)).observe(seconds);
      }
    };
  }

  private find(method: string, route: string, status_class: string): Series {
    let byRoute = this.series.get(method);
    if (!byRoute) this.series.set(method, (byRoute = new Map()));
    let byClass = byRoute.get(route);
    if (!byClass) byRoute.set(route, (byClass = new Map()));
    let s = byClass.get(status_class);
    if (!s) byClass.set(status_class, (s = this.requests.series({ method, route, status_class })));
    return s;
  }

  async render(): Promise<{ type: string; body: string }> {
    return { type: this.registry.contentType, body: await this.registry.metrics() };
  }
}
