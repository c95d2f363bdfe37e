import type { Context } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A span as the Traces view reads it: plain JSON, times in epoch milliseconds. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  service: string;
  server: string;
  startMs: number;
  durationMs: number;
  error: boolean;
  /** The error's message, when the span recorded one. */
  message: string;
  attributes: Record<string, string | number | boolean>;
  events: { name: string; atMs: number; attributes: Record<string, string | number | boolean> }[];
}

export interface TailStoreOptions {
  service: string;
  server: string;
  /** Traces kept at most (errors, slowest, sampled together). */
  maxTraces?: number;
  /** The slowest this many successful traces are kept. */
  slowest?: number;
  /** Share of the other successful traces kept at random. */
  share?: number;
  /** Traces still waiting for their local root to end, at most. */
  maxPending?: number;
  random?: () => number;
}

type Kept = { spans: SpanRecord[]; error: boolean; durationMs: number; at: number };

const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

/**
 * A bounded in-process trace store with tail sampling, for a stack with no collector: a
 * trace's spans wait until its local root (the span whose parent is remote or absent) ends,
 * then the whole trace is kept if any span failed, if it is among the slowest N, or with a
 * small random share; otherwise dropped. Old traces are evicted past `maxTraces`, failed ones last.
 */
export class TailStore implements SpanProcessor {
  // Spans stay as the SDK made them until their trace is kept: most traces are dropped, so
  // records are made only for the few kept (the proxy ends a trace per request).
  private readonly pending = new Map<string, ReadableSpan[]>();
  private readonly kept = new Map<string, Kept>();
  private readonly o: Required<TailStoreOptions>;
  /** The duration a successful trace must beat to be among the slowest kept; recomputed only when `kept` changes. */
  private bar: number | undefined;

  constructor(o: TailStoreOptions) {
    this.o = { maxTraces: 200, slowest: 20, share: 0.01, maxPending: 2000, random: Math.random, ...o };
  }

  onStart(_span: Span, _ctx: Context): void {}

  onEnd(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    let spans = this.pending.get(traceId);
    if (!spans) {
      if (this.pending.size >= this.o.maxPending) this.pending.delete(this.pending.keys().next().value!);
      this.pending.set(traceId, (spans = []));
    }
    spans.push(span);
    const parent = span.parentSpanContext;
    if (!parent || parent.isRemote) {
      this.pending.delete(traceId);
      this.decide(traceId, spans, ms(span.duration));
    }
  }

  /** The process's fleet id, when it is known only after the store is made (the proxy's, after it listens). */
  identify(server: string): void {
    this.o.server = server;
  }

  /** Newest first. */
  traces(): SpanRecord[][] {
    return [...this.kept.values()].sort((a, b) => b.at - a.at).map((k) => k.spans);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  private decide(traceId: string, spans: ReadableSpan[], durationMs: number): void {
    const error = spans.some((s) => s.status.code === SpanStatusCode.ERROR);
    const known = this.kept.get(traceId);
    if (known) {
      // a second local root of the same trace (a retry through this process): one entry
      known.spans.push(...spans.map((s) => this.record(s)));
      known.error ||= error;
      return;
    }
    if (!error && !this.slowEnough(durationMs) && this.o.random() >= this.o.share) return;
    this.kept.set(traceId, { spans: spans.map((s) => this.record(s)), error, durationMs, at: Date.now() });
    if (this.kept.size > this.o.maxTraces) this.evict();
    this.bar = undefined;
  }

  private slowEnough(durationMs: number): boolean {
    this.bar ??= this.slowestBar();
    return this.bar < durationMs;
  }

  /** The slowest-N'th successful duration kept; -Infinity while fewer than N are kept. */
  private slowestBar(): number {
    const ok = [...this.kept.values()].filter((k) => !k.error);
    if (ok.length < this.o.slowest) return -Infinity;
    return ok.sort((a, b) => b.durationMs - a.durationMs)[this.o.slowest - 1]!.durationMs;
  }

  /** The oldest successful trace goes first; failed ones only when nothing else is left. */
  private evict(): void {
    let victim: string | undefined;
    for (const [id, k] of this.kept) {
      if (!k.error) {
        victim = id;
        break;
      }
    }
    this.kept.delete(victim ?? this.kept.keys().next().value!);
  }

  private record(span: ReadableSpan): SpanRecord {
    const c = span.spanContext();
    const attrs: SpanRecord['attributes'] = {};
    for (const [k, v] of Object.entries(span.attributes)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attrs[k] = v;
    const events = span.events.map((e) => {
      const a: SpanRecord['attributes'] = {};
      for (const [k, v] of Object.entries(e.attributes ?? {})) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') a[k] = v;
      return { name: e.name, atMs: ms(e.time), attributes: a };
    });
    return {
      traceId: c.traceId,
      spanId: c.spanId,
      parentSpanId: span.parentSpanContext?.spanId ?? '',
      name: span.name,
      service: this.o.service,
      server: this.o.server,
      startMs: ms(span.startTime),
      durationMs: ms(span.duration),
      error: span.status.code === SpanStatusCode.ERROR,
      message: span.status.message ?? '',
      attributes: attrs,
      events,
    };
  }
}
