import Router from '@koa/router';
import type { AutoscalerMetrics } from './metrics.js';
import type { TargetGroup } from './sd.js';
import type { DecisionRecord } from '../record.js';

/** What the admin pages read from the running daemon. */
export interface AdminSource {
  metrics: AutoscalerMetrics;
  /** Newest first. */
  decisions(limit: number): DecisionRecord[];
  health(): { ok: boolean; role: string; redis: 'up' | 'down'; id: string };
  /** Prometheus HTTP service discovery: every app server, proxy and autoscaler in the fleet. */
  targets(): Promise<TargetGroup[]>;
}

/**
 * The admin port's JSON and Prometheus routes. The dashboard (its page at `/` and its SSE
 * feed) is mounted in front of these by `startAdmin(..., mounts)`.
 */
export function adminRouter(src: AdminSource): Router {
  const r = new Router();
  r.get('/healthz', (ctx) => {
    ctx.body = src.health();
  });
  r.get('/metrics', async (ctx) => {
    ctx.type = src.metrics.registry.contentType;
    ctx.body = await src.metrics.registry.metrics();
  });
  r.get('/sd', async (ctx) => {
    ctx.body = await src.targets();
  });
  r.get('/decisions', (ctx) => {
    const n = Number(ctx.query.limit ?? 50);
    ctx.body = { decisions: src.decisions(Number.isInteger(n) && n > 0 ? Math.min(n, 500) : 50) };
  });
  return r;
}
