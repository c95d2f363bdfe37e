import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { Middleware } from 'koa';

const UNTRACED = new Set(['/healthz', '/readyz', '/metrics', '/traces']);

/**
 * One server span per request, the child of the proxy's span when a `traceparent` came
 * with it; the handler (and every DynamoDB call it makes) runs inside it. Named for the
 * route template once routing is done; a 5xx marks it failed with the error's message.
 */
export function traceRequests(tracer: Tracer): Middleware {
  return async (ctx, next) => {
    // health checks, scrapes and trace reads come every second: they would crowd out the requests
    if (UNTRACED.has(ctx.path)) return next();
    const parent = propagation.extract(ROOT_CONTEXT, ctx.req.headers);
    const span = tracer.startSpan(ctx.method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': ctx.method } }, parent);
    try {
      await context.with(trace.setSpan(parent, span), next);
    } finally {
      const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      const template = typeof route === 'string' ? route : 'unmatched';
      span.updateName(`${ctx.method} ${template}`);
      span.setAttributes({ 'http.route': template, 'http.response.status_code': ctx.status });
      if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(ctx.body) ?? `HTTP ${ctx.status}` });
      span.end();
    }
  };
}

function errorMessage(body: unknown): string | undefined {
  const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return e ? `${e.code ?? ''}: ${e.message ?? ''}` : undefined;
}
