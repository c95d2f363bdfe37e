import type { Middleware } from 'koa';
import { ShoalError } from '../../lib/errors.js';
import { requireSession } from '../auth/middleware.js';
import type { TokenService } from '../auth/tokens.js';
import type { CompatAuthMode } from '../config.js';

/** Logging in and off need no header, as in the originals; nor does the API description. */
const OPEN = new Set(['PUT /api/v1/user/login', 'PUT /api/v1/user/logoff', 'GET /api/v1/openapi.json', 'HEAD /api/v1/openapi.json']);

/**
 * The originals answered 401 to a request without an `Authorization` header and took any
 * value. `strict` makes the value count: a bearer token from the course `/login` (or shoal's own).
 */
export function compatAuth(mode: CompatAuthMode, tokens: TokenService): Middleware {
  return async (ctx, next) => {
    if (!OPEN.has(`${ctx.method} ${ctx.path}`)) {
      if (!ctx.get('authorization')) {
        ctx.set('WWW-Authenticate', 'Bearer realm="shoal-compat"');
        throw new ShoalError('SHOAL_ERR_UNAUTHORIZED', 'missing auth', 401);
      }
      if (mode === 'strict') ctx.state.session = await requireSession(ctx, tokens, ['shoal-compat', 'shoal']);
    }
    await next();
  };
}
