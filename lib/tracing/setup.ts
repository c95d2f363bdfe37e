import { propagation, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
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
 * One tracer provider per process: W3C trace context (no baggage: nothing reads it), the
 * in-process store always, and OTLP export when a collector is named. No context manager:
 * parents are passed explicitly (the app's request span to its DynamoDB calls, see
 * app/dynamodb/tracing.ts), because AsyncLocalStorage's promise hooks cost every request CPU,
 * traced or not.
 */
export function startTracing(o: TracingOptions): Tracing {
  const store = new TailStore({ service: o.service, server: o.server });
  const processors: SpanProcessor[] = [store];
  if (o.otlpEndpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${o.otlpEndpoint.replace(/\/$/, '')}/v1/traces` })));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `shoal-${o.service}`, 'service.instance.id': o.server }),
    spanProcessors: processors,
  });
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return { tracer: provider.getTracer('shoal'), store, shutdown: () => provider.shutdown() };
}
