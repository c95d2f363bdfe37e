import type { Context, Middleware } from 'koa';
import type { AuthMode } from '../config.js';
import { unauthorized } from '../errors.js';
import { bearerToken } from './bearer.js';
import type { Audience, Session, TokenService } from './tokens.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Routes anyone may call in every mode: signing up, logging in, the API description. */
const OPEN = new Set(['POST /api/v1/users', 'POST /api/v1/sessions', 'GET /api/v1/openapi.json', 'HEAD /api/v1/openapi.json']);

/** Pure: does this request need a token under `mode`? Health and metrics routes never do. */
export function needsToken(mode: AuthMode, method: string, path: string): boolean {
  if (mode === 'off' || !path.startsWith('/api/')) return false;
  if (OPEN.has(`${method} ${path.replace(/\/+$/, '')}`)) return false;
  return mode === 'all' || !READS.has(method);
}

/** The request's verified session, or a 401 (with the Bearer challenge). */
export async function requireSession(ctx: Context, tokens: TokenService, audiences?: readonly Audience[]): Promise<Session> {
  const token = bearerToken(ctx);
  try {
    if (!token) throw unauthorized();
    return await tokens.verify(token, audiences);
  } catch (err) {
    if ((err as { status?: number }).status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="shoal"');
    throw err;
  }
}

/** Puts `ctx.state.session` on requests that need one under `mode`; others pass untouched. */
export function authenticate(mode: AuthMode, tokens: TokenService): Middleware {
  return async (ctx, next) => {
    if (needsToken(mode, ctx.method, ctx.path)) ctx.state.session = await requireSession(ctx, tokens);
    await next();
  };
}
