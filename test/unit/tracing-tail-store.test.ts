import t from 'tap';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { TailStore } from '../../lib/tracing/tail-store.js';

// A local root span of `ms` milliseconds, failed or not: all TailStore reads of a span.
let n = 0;
function root(ms: number, error = false): ReadableSpan {
  const id = (++n).toString(16).padStart(32, '0');
  return {
    name: 'GET',
    spanContext: () => ({ traceId: id, spanId: id.slice(16), traceFlags: 1 }),
    parentSpanContext: undefined,
    attributes: {},
    events: [],
    startTime: [1, 0],
    duration: [0, ms * 1e6],
    status: { code: error ? 2 : 0 },
  } as unknown as ReadableSpan;
}

const durations = (s: TailStore) => s.traces().map((tr) => tr[0]!.durationMs).sort((a, b) => a - b);

t.test('keeps the slowest N successful traces, the bar rising as slower ones come', async (t) => {
  const s = new TailStore({ service: 'proxy', server: 'p1', slowest: 2, share: 0, random: () => 1 });
  for (const ms of [5, 1, 3]) s.onEnd(root(ms));
  t.same(durations(s), [1, 3, 5], 'slower than the second slowest when it came (or fewer than 2 kept): kept');
  s.onEnd(root(2));
  t.same(durations(s), [1, 3, 5], 'faster than the second slowest: dropped');
  s.onEnd(root(4));
  t.same(durations(s), [1, 3, 4, 5], 'slower: kept');
  s.onEnd(root(3.5));
  t.same(durations(s), [1, 3, 4, 5], 'the bar is 4 now: dropped');
  s.onEnd(root(4.5));
  s.onEnd(root(4.2));
  t.same(durations(s), [1, 3, 4, 4.5, 5], 'the bar moved to 4.5 with the kept set');
  s.onEnd(root(0.5, true));
  t.ok(s.traces().some((tr) => tr[0]!.error), 'a failed trace is always kept');
});
