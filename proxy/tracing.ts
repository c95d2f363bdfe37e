import type { IncomingMessage } from 'node:http';
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';

/**
 * The proxy's span for one request: the child of the client's `traceparent` if it sent one,
 * the parent of the app server's span through the `traceparent` it forwards.
 */
export function startForwardSpan(tracer: Tracer, req: IncomingMessage, path: string): { span: Span; traceparent: string } {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const q = path.indexOf('?');
  const span = tracer.startSpan(
    `proxy ${req.method}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '', 'url.path': q === -1 ? path : path.slice(0, q) } },
    parent,
  );
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  return { span, traceparent: carrier.traceparent ?? '' };
}

/** The flat header list with the client's trace context replaced by ours. */
export function withTraceparent(headers: string[], traceparent: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === 11 || name.length === 10) {
      const lower = name.toLowerCase();
      if (lower === 'traceparent' || lower === 'tracestate') continue;
    }
    out.push(name, headers[i + 1]!);
  }
  out.push('traceparent', traceparent);
  return out;
}

/** Ends the span with the answer's status; a 5xx (from a server or the proxy) marks it failed. */
export function endForwardSpan(span: Span, status: number, message?: string): void {
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? `HTTP ${status}` });
  span.end();
}
