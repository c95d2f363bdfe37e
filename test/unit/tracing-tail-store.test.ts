import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import t from 'tap';
import { TailStore, type TailStoreOptions } from '../../lib/tracing/tail-store.js';

// Real SDK spans through the real provider into the store; durations come from explicit
// start and end times, so which traces are kept is decided by the data alone.

function storeWith(o: Partial<TailStoreOptions> = {}) {
  const store = new TailStore({ service: 'proxy', server: 'p-1', random: () => 0.5, ...o });
  const tracer = new BasicTracerProvider({ spanProcessors: [store] }).getTracer('test');
  /** A root span lasting `ms` (with a child, failed when `fail`); answers its trace id. */
  const request = (ms: number, fail = false): string => {
    const root = tracer.startSpan('proxy GET', { startTime: 1_000 });
    const child = tracer.startSpan('DynamoDB GetItem', { startTime: 1_000 }, trace.setSpan(context.active(), root));
    if (fail) child.setStatus({ code: SpanStatusCode.ERROR, message: 'ResourceNotFound' });
    child.end(1_000 + ms / 2);
    root.end(1_000 + ms);
    return root.spanContext().traceId;
  };
  const keptIds = () => store.traces().map((spans) => spans[0]!.traceId);
  return { store, request, keptIds };
}

t.test('the slowest N successful traces are kept, faster ones dropped', async (t) => {
  const { request, keptIds } = storeWith({ slowest: 3 });
  const first = [10, 20, 30].map((ms) => request(ms));
  t.same(keptIds().sort(), [...first].sort(), 'fewer than N kept: every trace is kept');
  const fast = request(5);
  t.notOk(keptIds().includes(fast), 'faster than the 3rd slowest: dropped');
  const slow = request(25);
  t.ok(keptIds().includes(slow), 'slower than the 3rd slowest (10 ms): kept');
  const between = request(15);
  t.notOk(keptIds().includes(between), 'the bar moved up to 20 ms once 25 ms was kept: 15 ms is dropped');
});

t.test('every failed trace is kept, with its spans as records', async (t) => {
  const { store, request, keptIds } = storeWith({ slowest: 1 });
  request(100);
  const failed = request(1, true);
  t.ok(keptIds().includes(failed), 'a fast failed trace is kept');
  const spans = store.traces().find((s) => s[0]!.traceId === failed)!;
  t.equal(spans.length, 2, 'both spans of the trace');
  const db = spans.find((s) => s.name === 'DynamoDB GetItem')!;
  t.match(db, { error: true, message: 'ResourceNotFound', service: 'proxy', server: 'p-1', durationMs: 0.5 });
  t.equal(spans.find((s) => s.name === 'proxy GET')!.parentSpanId, '', 'the root has no parent');
});

t.test('a random share of the other traces is kept', async (t) => {
  let draw = 0.5;
  const { request, keptIds } = storeWith({ slowest: 1, share: 0.1, random: () => draw });
  request(100);
  const above = request(1);
  t.notOk(keptIds().includes(above), 'a draw above the share: dropped');
  draw = 0.05;
  const below = request(1);
  t.ok(keptIds().includes(below), 'a draw below the share: kept');
});

t.test('at most maxTraces are kept, the oldest successful evicted before any failed one', async (t) => {
  const { request, keptIds } = storeWith({ maxTraces: 3, slowest: 100 });
  const failed = request(1, true);
  const ok = [request(2), request(3), request(4)];
  t.equal(keptIds().length, 3);
  t.ok(keptIds().includes(failed), 'the failed trace survives');
  t.notOk(keptIds().includes(ok[0]!), 'the oldest successful one went');
});
