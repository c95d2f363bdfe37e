import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Logger } from '../../lib/log.js';
import type { Readiness } from '../readiness.js';
import { healthRoutes } from '../routes/health.js';
import { musicRoutes } from '../routes/music.js';
import { pageRoutes } from '../routes/pages.js';
import { playlistRoutes } from '../routes/playlists.js';
import { userRoutes } from '../routes/users.js';
import type { Stores } from '../store/index.js';
import { errorMapper } from './error-mapper.js';
import { routeFallback } from './fallback.js';
import { jsonBody } from './json-body.js';
import type { HttpMetrics } from './metrics.js';

export interface KoaAppDeps {
  stores: Stores;
  readiness: Readiness;
  metrics: HttpMetrics;
  log: Logger;
  bodyLimitBytes: number;
  /** Outermost middleware (the request monitor), so it sees every request's final status. */
  monitor?: Middleware;
}

/** While draining, every response tells the client to reconnect elsewhere. */
function connectionCloseWhileDraining(readiness: Readiness): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      if (readiness.draining) ctx.set('Connection', 'close');
    }
  };
}

/** The music API as a chain of small middleware, routes last. */
export function createKoaApp(deps: KoaAppDeps): Koa {
  const app = new Koa();
  // The proxy in front sets X-Forwarded-*; trust it for ctx.ip and ctx.protocol.
  app.proxy = true;
  // errorMapper answers every error; what still reaches Koa is a socket-level failure.
  app.on('error', (err: Error) => deps.log.debug({ err }, 'connection error'));

  const api = new Router();
  api.use(userRoutes(deps.stores).routes(), musicRoutes(deps.stores).routes(), playlistRoutes(deps.stores).routes());
  const root = new Router();
  root.use(healthRoutes(deps.readiness, deps.metrics).routes());
  root.use('/api/v1', api.routes());
  root.use(pageRoutes(deps.stores).routes());

  if (deps.monitor) app.use(deps.monitor);
  app.use(deps.metrics.middleware());
  app.use(connectionCloseWhileDraining(deps.readiness));
  app.use(errorMapper(deps.log));
  app.use(routeFallback());
  app.use(jsonBody(deps.bodyLimitBytes));
  app.use(root.routes());
  app.use(root.allowedMethods());
  return app;
}
