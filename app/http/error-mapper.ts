import type { Middleware } from 'koa';
import { ShoalError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { traceFields } from './tracing.js';

const CODES: Record<number, string> = {
  400: 'SHOAL_ERR_BAD_REQUEST',
  404: 'SHOAL_ERR_ROUTE_NOT_FOUND',
  405: 'SHOAL_ERR_METHOD_NOT_ALLOWED',
  413: 'SHOAL_ERR_BODY_TOO_LARGE',
  415: 'SHOAL_ERR_UNSUPPORTED_MEDIA_TYPE',
};

/** Any thrown value as the error the client sees. Unknown failures are 500s without details. */
export function toHttpError(err: unknown): ShoalError {
  if (err instanceof ShoalError) return err;
  // Koa's and the router's own errors (http-errors) carry a 4xx status safe to expose.
  const e = err as { status?: number; expose?: boolean; message?: string };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
    return new ShoalError(CODES[e.status] ?? 'SHOAL_ERR_BAD_REQUEST', e.message ?? 'bad request', e.status);
  }
  return new ShoalError('SHOAL_ERR_INTERNAL', 'internal error: see the server log', 500, { cause: err });
}

/** The JSON body every error answer carries. */
export function errorBody(err: ShoalError): { error: { code: string; message: string } } {
  return { error: { code: err.code, message: err.message } };
}

/**
 * Maps every error to `{"error":{"code","message"}}` with its status. A 5xx is a bug (500,
 * logged with its stack) or a dependency outage (503, logged once per `quietMs` per code).
 */
export function errorMapper(log: Logger, quietMs = 30_000): Middleware {
  const lastLogged = new Map<string, number>();
  return async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      const err = toHttpError(thrown);
      ctx.status = err.status;
      ctx.body = errorBody(err);
      if (err.status === 503) {
        ctx.set('Retry-After', '1');
        const now = Date.now();
        if (now - (lastLogged.get(err.code) ?? 0) > quietMs) {
          lastLogged.set(err.code, now);
          log.warn({ ...traceFields(ctx), code: err.code, cause: String((err.cause as Error)?.message ?? '') }, err.message);
        }
      } else if (err.status >= 500) {
        log.error({ ...traceFields(ctx), err: err.cause ?? err, method: ctx.method, url: ctx.url }, 'request failed');
      }
    }
  };
}
