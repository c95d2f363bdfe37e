import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { startApp } from '../../app/server.js';
import type { SpanRecord } from '../../lib/tracing/tail-store.js';
import { startTracing } from '../../lib/tracing/setup.js';
import { testDynalite } from '../helpers/dynalite.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

// One app server in this process, traced, over a dynalite this test owns. The request's span
// reaches its DynamoDB calls without AsyncLocalStorage (through the stores' request views):
// every call a route makes, on either client, is a child of the route's span.
t.setTimeout(120_000);

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});
const redis = await testRedis(t.teardown);
const db = await testDynalite(t.teardown);
const app = await startApp(
  { port: 0, auth: 'off', redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: db.endpoint }, tablePrefix: 'trace-', createTables: true },
  { log: pino({ level: 'info' }, sink), tracing: (server) => startTracing({ service: 'app', server }) },
);
t.teardown(() => app.close());

const traceparent = () => {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
};

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const tp = traceparent();
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { traceparent: tp.header, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, string>, ...tp };
}

/** The app's kept spans of one trace, once its route span has ended. */
async function spansOf(traceId: string): Promise<SpanRecord[]> {
  return waitFor(
    async () => {
      const { traces } = (await (await fetch(`${app.url}/traces`)).json()) as { traces: SpanRecord[][] };
      return traces.find((spans) => spans[0]?.traceId === traceId);
    },
    { what: `trace ${traceId} in the app's store` },
  );
}

/** The route's span (child of the caller's) and the names of its DynamoDB children, in order. */
async function routeAndCalls(t: Test, c: { traceId: string; spanId: string }) {
  const spans = await spansOf(c.traceId);
  const route = spans.find((s) => s.parentSpanId === c.spanId)!;
  const calls = spans.filter((s) => s.parentSpanId === route.spanId).sort((a, b) => a.startMs - b.startMs);
  t.equal(spans.length, calls.length + 1, 'every span of the trace is the route or a call under it');
  return { route, calls: calls.map((s) => s.name) };
}

t.test("each DynamoDB call is a child of the route's span, on both clients", async (t) => {
  const created = await call('POST', '/api/v1/users', { fname: 'Ada', lname: 'Lovelace', email: 'ada@example.com' });
  t.equal(created.status, 201);
  const post = await routeAndCalls(t, created);
  t.equal(post.route.name, 'POST /api/v1/users');
  t.same(post.calls, ['DynamoDB PutItem']);

  const patched = await call('PATCH', `/api/v1/users/${created.body.id}`, { fname: 'Augusta' });
  t.equal(patched.status, 200);
  t.same((await routeAndCalls(t, patched)).calls, ['DynamoDB UpdateItem'], 'the Document client is traced too');

  const song = await call('POST', '/api/v1/music', { artist: 'A', title: 'T' }, { 'idempotency-key': randomBytes(8).toString('hex') });
  t.equal(song.status, 201);
  const claimed = await routeAndCalls(t, song);
  t.same(claimed.calls, ['DynamoDB PutItem', 'DynamoDB PutItem', 'DynamoDB UpdateItem'], 'claim, song, stored answer');

  const read = await call('GET', `/api/v1/music/${song.body.id}`);
  t.equal(read.status, 200);
  const get = await routeAndCalls(t, read);
  t.equal(get.route.name, 'GET /api/v1/music/:id');
  t.same(get.calls, ['DynamoDB GetItem']);
});

t.test("a failed request's log line carries its trace and span ids", async (t) => {
  await db.close();
  const failed = await call('GET', '/api/v1/music?limit=2');
  t.equal(failed.status, 503);
  const spans = await spansOf(failed.traceId);
  const route = spans.find((s) => s.parentSpanId === failed.spanId)!;
  t.ok(route.error, "the route's span failed");
  const line = await waitFor(() => lines.find((l) => l.trace_id === failed.traceId), { what: 'the log line of the 503' });
  t.match(line, { level: 40, code: 'SHOAL_ERR_DB_UNAVAILABLE', span_id: route.spanId });
});
