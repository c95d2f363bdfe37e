import type { Context, Middleware } from 'koa';
import type { Stores } from '../store/index.js';
import { traceOf } from './tracing.js';

/**
 * Gives each request the stores as it sees them (`storesOf`): traced under its span when it
 * has one, the shared stores as they are when not. Runs after the tracing middleware.
 */
export function requestStores(stores: Stores): Middleware {
  return (ctx, next) => {
    const trace = traceOf(ctx);
    ctx.state.stores = trace ? stores.within({ trace }) : stores;
    return next();
  };
}

/** The stores a handler uses for this request (see requestStores). */
export function storesOf(ctx: Pick<Context, 'state'>): Stores {
  return ctx.state.stores as Stores;
}
