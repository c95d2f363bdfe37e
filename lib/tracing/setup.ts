import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { TailStore } from './tail-store.js';

export interface TracingOptions {
  service: string;
  server: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT as the edge read it: spans go there too (OTLP over HTTP). */
  otlpEndpoint?: string;
}

export interface Tracing {
  tracer: Tracer;
  /** The bounded, tail-sampled store the dashboard's Traces view reads (`GET /traces`). */
  store: TailStore;
  shutdown(): Promise<void>;
}

/**
 * One tracer provider per process: W3C trace context, AsyncLocalStorage so a span started in
 * a request's middleware is the parent of what the handler does, the in-process store
 * always, and OTLP export when a collector is named.
 */
export function startTracing(o: TracingOptions): Tracing {
  const store = new TailStore({ service: o.service, server: o.server });
  const processors: SpanProcessor[] = [store];
  if (o.otlpEndpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${o.otlpEndpoint.replace(/\/$/, '')}/v1/traces` })));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `shoal-${o.service}`, 'service.instance.id': o.server }),
    spanProcessors: processors,
  });
  provider.register();
  return { tracer: trace.getTracer('shoal'), store, shutdown: () => provider.shutdown() };
}
