import { SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * A client span around every DynamoDB operation, through the SDK's own middleware stack
 * made while serving a request (first step, so SDK retries are inside it). A failure is recorded on it: when DynamoDB is
 * down this is the span where the trace's error began.
 */
export function traceDynamo(client: DynamoDBClient, tracer: Tracer): void {
  client.middlewareStack.add(
    (next, mw) => async (args) => {
      // only calls made for a request: the readiness probe's would crowd the store with traces of one span
      if (!trace.getActiveSpan()) return next(args);
      const op = String(mw.commandName ?? 'Command').replace(/Command$/, '');
      const table = (args.input as { TableName?: string }).TableName;
      const span = tracer.startSpan(`DynamoDB ${op}`, { kind: SpanKind.CLIENT, attributes: { 'db.system': 'dynamodb', 'db.operation': op, ...(table ? { 'aws.dynamodb.table_names': table } : {}) } });
      try {
        return await next(args);
      } catch (err) {
        const e = err as Error;
        span.recordException(e);
        span.setStatus({ code: SpanStatusCode.ERROR, message: `${e.name}: ${e.message}` });
        throw err;
      } finally {
        span.end();
      }
    },
    { step: 'initialize', name: 'shoalTracing', priority: 'high' },
  );
}
