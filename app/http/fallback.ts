import type { Middleware } from 'koa';
import { methodNotAllowed, routeNotFound } from '../errors.js';

/**
 * Gives the router's bare 404/405/501 answers the JSON error body. An unknown HTTP
 * method is the client's mistake, so it is a 405 rather than the router's 501.
 */
export function routeFallback(): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.body != null) return;
    if (ctx.status === 404) throw routeNotFound(ctx.method, ctx.path);
    if (ctx.status === 405 || ctx.status === 501) {
      const allowed = ctx.response.get('Allow') || 'none';
      throw methodNotAllowed(ctx.method, allowed);
    }
  };
}
