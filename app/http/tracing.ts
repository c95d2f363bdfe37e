import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context as TraceContext, type Tracer } from '@opentelemetry/api';
import type { Context, Middleware } from 'koa';

const UNTRACED = new Set(['/healthz', '/readyz', '/metrics', '/traces']);
const METHOD_ATTRIBUTES = new Map<string, Attributes>();
const NONE = {};

/**
 * One server span per request, the child of the proxy's span when a `traceparent` came
 * with it; the handler's DynamoDB calls are its children (the span goes to them explicitly:
 * `traceOf` → requestStores → the store's views). Named for the route template once routing
 * is done; a 5xx marks it failed with the error's message.
 */
export function traceRequests(tracer: Tracer): Middleware {
  return async (ctx, next) => {
    // health checks, scrapes and trace reads come every second: they would crowd out the requests
    if (UNTRACED.has(ctx.path)) return next();
    const parent = propagation.extract(ROOT_CONTEXT, ctx.req.headers);
    const method = ctx.method;
    let attributes = METHOD_ATTRIBUTES.get(method);
    if (!attributes) METHOD_ATTRIBUTES.set(method, (attributes = { 'http.request.method': method }));
    const span = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes }, parent);
    ctx.state.trace = trace.setSpan(parent, span);
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      const template = typeof route === 'string' ? route : 'unmatched';
      span.updateName(`${method} ${template}`);
      span.setAttribute('http.route', template);
      span.setAttribute('http.response.status_code', ctx.status);
      if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(ctx.body) ?? `HTTP ${ctx.status}` });
      span.end();
    }
  };
}

/** The request's trace context (its span), when it is traced. */
export function traceOf(ctx: Pick<Context, 'state'>): TraceContext | undefined {
  return ctx.state.trace as TraceContext | undefined;
}

/** The OpenTelemetry log fields of a line logged for this request: its trace and span ids. */
export function traceFields(ctx: Pick<Context, 'state'>): { trace_id?: string; span_id?: string } {
  const t = traceOf(ctx);
  const c = t && trace.getSpanContext(t);
  return c ? { trace_id: c.traceId, span_id: c.spanId } : NONE;
}

function errorMessage(body: unknown): string | undefined {
  const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return e ? `${e.code ?? ''}: ${e.message ?? ''}` : undefined;
}
