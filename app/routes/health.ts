import Router from '@koa/router';
import type { HttpMetrics } from '../http/metrics.js';
import type { Readiness } from '../readiness.js';
import type { TailStore } from '../../lib/tracing/tail-store.js';

/** Liveness, readiness and Prometheus metrics, outside the /api/v1 namespace. */
export function healthRoutes(readiness: Readiness, metrics: HttpMetrics, traces?: TailStore): Router {
  const r = new Router();

  r.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  r.get('/readyz', async (ctx) => {
    const report = await readiness.check();
    ctx.status = report.ready ? 200 : 503;
    if (!report.ready) ctx.set('Retry-After', '1');
    ctx.body = {
      status: report.ready ? 'ready' : report.draining ? 'draining' : report.db.ok ? 'warming' : 'unavailable',
      draining: report.draining,
      warming: report.warming,
      db: report.db,
    };
  });

  r.get('/metrics', async (ctx) => {
    const { type, body } = await metrics.render();
    ctx.type = type;
    ctx.body = body;
  });

  // This server's kept traces, for the dashboard's Traces view (not forwarded by the proxy).
  if (traces) {
    r.get('/traces', (ctx) => {
      ctx.body = { traces: traces.traces() };
    });
  }

  return r;
}
