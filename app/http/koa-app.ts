import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import { COMPAT_HEADER } from '../../lib/compat-header.js';
import type { Logger } from '../../lib/log.js';
import type { LoginGuard } from '../auth/login-guard.js';
import { authenticate } from '../auth/middleware.js';
import type { TokenService } from '../auth/tokens.js';
import { compatAuth } from '../compat/auth.js';
import { compatRouter } from '../compat/router.js';
import type { AuthMode, CompatAuthMode } from '../config.js';
import type { Readiness } from '../readiness.js';
import { healthRoutes } from '../routes/health.js';
import { musicRoutes } from '../routes/music.js';
import { openApiRoutes } from '../routes/openapi.js';
import { pageRoutes } from '../routes/pages.js';
import { playlistRoutes } from '../routes/playlists.js';
import { sessionRoutes } from '../routes/sessions.js';
import { userRoutes } from '../routes/users.js';
import type { Stores } from '../store/index.js';
import { errorMapper } from './error-mapper.js';
import { routeFallback } from './fallback.js';
import { idempotencyKey } from './idempotency.js';
import { jsonBody } from './json-body.js';
import type { HttpMetrics } from './metrics.js';
import { requestStores } from './request-stores.js';
import { traceRequests } from './tracing.js';
import type { Tracing } from '../../lib/tracing/setup.js';

export interface AuthDeps {
  mode: AuthMode;
  compat: CompatAuthMode;
  tokens: TokenService;
  guard: LoginGuard;
}

export interface KoaAppDeps {
  stores: Stores;
  readiness: Readiness;
  metrics: HttpMetrics;
  log: Logger;
  bodyLimitBytes: number;
  auth: AuthDeps;
  /** Outermost middleware (the request monitor), so it sees every request's final status. */
  monitor?: Middleware;
  tracing?: Tracing;
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

/** shoal's own API: health, metrics, the three resources, sessions and the OpenAPI document. */
export function shoalRouter(deps: Pick<KoaAppDeps, 'readiness' | 'metrics' | 'auth' | 'tracing'>): Router {
  const api = new Router();
  api.use(
    userRoutes().routes(),
    musicRoutes().routes(),
    playlistRoutes().routes(),
    sessionRoutes(deps.auth.tokens, deps.auth.guard).routes(),
    openApiRoutes(async () => (await import('../openapi/shoal.js')).shoalOpenApi).routes(),
  );
  const root = new Router();
  root.use(healthRoutes(deps.readiness, deps.metrics, deps.tracing?.store).routes());
  root.use('/api/v1', api.routes());
  root.use(pageRoutes().routes());
  return root;
}

/**
 * Requests the proxy marked as coming from its course-API port get the course routes; every
 * other request gets shoal's own API, behind the bearer check `--auth` asks for.
 */
function routes(deps: KoaAppDeps): Middleware {
  const own = shoalRouter(deps);
  const compat = compatRouter(deps.auth.tokens);
  const ownChain = chain([authenticate(deps.auth.mode, deps.auth.tokens), own.routes() as Middleware, own.allowedMethods() as Middleware]);
  const compatChain = chain([compatAuth(deps.auth.compat, deps.auth.tokens), compat.routes() as Middleware, compat.allowedMethods() as Middleware]);
  return (ctx, next) => (ctx.get(COMPAT_HEADER) ? compatChain : ownChain)(ctx, next);
}

/** Middleware run in order as one (what koa-compose does, for a fixed short list). */
function chain(list: Middleware[]): Middleware {
  return (ctx, next) => {
    const at = (i: number): Promise<unknown> => (i === list.length ? next() : Promise.resolve(list[i]!(ctx, () => at(i + 1))));
    return at(0);
  };
}

/** The music API as a chain of small middleware, routes last. */
export function createKoaApp(deps: KoaAppDeps): Koa {
  const app = new Koa();
  // The proxy in front sets X-Forwarded-*; trust it for ctx.ip and ctx.protocol.
  app.proxy = true;
  // errorMapper answers every error; what still reaches Koa is a socket-level failure.
  app.on('error', (err: Error) => deps.log.debug({ err }, 'connection error'));

  if (deps.monitor) app.use(deps.monitor);
  if (deps.tracing) app.use(traceRequests(deps.tracing.tracer));
  app.use(requestStores(deps.stores));
  app.use(deps.metrics.middleware());
  app.use(connectionCloseWhileDraining(deps.readiness));
  app.use(errorMapper(deps.log));
  app.use(routeFallback());
  app.use(jsonBody(deps.bodyLimitBytes));
  app.use(idempotencyKey(deps.stores, deps.log));
  app.use(routes(deps));
  return app;
}
