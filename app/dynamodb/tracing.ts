import { SpanKind, SpanStatusCode, type Attributes, type Context, type Tracer } from '@opentelemetry/api';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

// The parent of the next DynamoDB call's span. Set by sendUnder just before `client.send` and
// taken by the tracing middleware, which the SDK runs synchronously inside `send` (it is the
// first middleware of the first step), before any other request can run.
let parent: Context | undefined;

/**
 * Runs `send`, which must call a traced client's `send` at once, with `under` (a request's
 * span) as the parent of the call's span; with no parent the call is not traced.
 */
export function sendUnder<R>(under: Context | undefined, send: () => Promise<R>): Promise<R> {
  parent = under;
  try {
    return send();
  } finally {
    parent = undefined;
  }
}

/**
 * A client span around every DynamoDB operation sent under a request's span (sendUnder),
 * through the SDK's own middleware stack (first step, so SDK retries are inside it). A failure
 * is recorded on it: when DynamoDB is down this is the span where the trace's error began.
 * Calls made for no request (the readiness probe) are not traced: they would crowd the store
 * with traces of one span.
 */
export function traceDynamo(client: DynamoDBClient | DynamoDBDocumentClient, tracer: Tracer): void {
  // the Document client's stack is its base client's: the same middleware serves both kinds of command
  (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
    (next, mw) => {
      // resolved once per command class (the store's client caches its middleware): the name and
      // the attributes per table are made once, not per call
      const op = String(mw.commandName ?? 'Command').replace(/Command$/, '');
      const name = `DynamoDB ${op}`;
      const byTable = new Map<string, Attributes>();
      const attributes = (table: string | undefined): Attributes => {
        const k = table ?? '';
        let a = byTable.get(k);
        if (!a) byTable.set(k, (a = { 'db.system': 'dynamodb', 'db.operation': op, ...(table ? { 'aws.dynamodb.table_names': table } : {}) }));
        return a;
      };
      return async (args) => {
        const under = parent;
        parent = undefined;
        if (!under) return next(args);
        const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes: attributes((args.input as { TableName?: string }).TableName) }, under);
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
      };
    },
    { step: 'initialize', name: 'shoalTracing', priority: 'high' },
  );
}
