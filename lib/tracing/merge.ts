import type { SpanRecord } from './tail-store.js';

/** One trace as the Traces view draws it: every process's spans, oldest first, and where the error began. */
export interface TraceView {
  traceId: string;
  /** The first span's name (the proxy's when the request came through it). */
  name: string;
  startMs: number;
  durationMs: number;
  error: boolean;
  /** The failed span none of whose children failed: where the error began; '' if none failed. */
  originSpanId: string;
  spans: SpanRecord[];
}

/**
 * Pure: the stores' traces (one list per process) joined by trace id, newest first. A
 * process may keep a trace another dropped (each samples its own tail); failed traces are
 * kept everywhere, so their waterfalls are whole.
 */
export function mergeTraces(stores: SpanRecord[][][]): TraceView[] {
  const byId = new Map<string, Map<string, SpanRecord>>();
  for (const store of stores) {
    for (const spans of store) {
      for (const s of spans) {
        let t = byId.get(s.traceId);
        if (!t) byId.set(s.traceId, (t = new Map()));
        t.set(s.spanId, s);
      }
    }
  }
  const out: TraceView[] = [];
  for (const [traceId, m] of byId) {
    const spans = [...m.values()].sort((a, b) => a.startMs - b.startMs);
    const start = spans[0]!.startMs;
    const end = Math.max(...spans.map((s) => s.startMs + s.durationMs));
    out.push({ traceId, name: spans[0]!.name, startMs: start, durationMs: end - start, error: spans.some((s) => s.error), originSpanId: origin(spans), spans });
  }
  return out.sort((a, b) => b.startMs - a.startMs);
}

function origin(spans: SpanRecord[]): string {
  const failed = spans.filter((s) => s.error);
  const failedParents = new Set(failed.map((s) => s.parentSpanId));
  // the deepest failure: no failed child; of several, the one that started first
  return failed.find((s) => !failedParents.has(s.spanId))?.spanId ?? '';
}
