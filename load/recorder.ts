import type { Histogram } from 'hdr-histogram-js';
import type { TemplateClass } from '../fuzzer/templates.js';
import { latencyHistogram, recordMs } from './histogram.js';
import type { Outcome } from './http/http-sender.js';
import type { CompiledRequest, Rendered } from './request.js';

/** A valid request that got a 4xx, or an invalid one that got a 5xx: a bug on one side. */
export interface FindingRecord {
  id: string;
  name: string;
  class: TemplateClass;
  status: number;
  count: number;
  /** The first request that showed it, as sent. */
  example: Rendered;
}

export interface ClassRecord {
  total: number;
  ok: number;
  errors: number;
  corrected: Histogram;
}

/** One template (or chain step): how often it ran and how long it took, corrected. */
export interface TemplateRecord {
  id: string;
  name: string;
  class: TemplateClass;
  method: string;
  /** The path as the tests file spells it (placeholders unexpanded). */
  route: string;
  total: number;
  ok: number;
  errors: number;
  under100: number;
  corrected: Histogram;
}

export interface SecondRecord {
  sent: number;
  ok: number;
  errors: number;
  missed: number;
  corrected: Histogram;
  raw: Histogram;
}

/** `ok` means the response matched the template's class: 2xx/3xx for valid, 4xx for invalid. */
export function isExpected(cls: TemplateClass, status: number): boolean {
  return cls === 'valid' ? status >= 200 && status < 400 : status >= 400 && status < 500;
}

export function isFinding(cls: TemplateClass, status: number): boolean {
  return cls === 'valid' ? status >= 400 && status < 500 : status >= 500;
}

function emptyTemplate(t: Pick<TemplateRecord, 'id' | 'name' | 'class' | 'method' | 'route'>): TemplateRecord {
  return { id: t.id, name: t.name, class: t.class, method: t.method, route: t.route, total: 0, ok: 0, errors: 0, under100: 0, corrected: latencyHistogram(2) };
}

/**
 * Everything a run collects, in memory: the hot path increments counters and records two
 * histogram values; the report is computed from this afterwards.
 */
export class Recorder {
  readonly corrected = latencyHistogram();
  readonly raw = latencyHistogram();
  readonly classes = new Map<TemplateClass, ClassRecord>();
  /** Per template id (a chain step's is `chainId#step`), so a report can say which requests hold the tail. */
  readonly templates = new Map<string, TemplateRecord>();
  /** Response status (or error code) → count, over every request. */
  readonly statuses = new Map<string, number>();
  /** `class status` → count, over the errors only. */
  readonly errorsByClass = new Map<string, number>();
  readonly findings = new Map<string, FindingRecord>();
  readonly seconds: SecondRecord[] = [];
  sent = 0;
  /** The measured span, ms since the start: the first planned send (sent or dropped) … */
  firstPlannedAt = Infinity;
  /** … to the last send and the last answer. */
  lastSentAt = 0;
  lastAnsweredAt = 0;
  completed = 0;
  ok = 0;
  errors = 0;
  missedLate = 0;
  missedDropped = 0;
  /** Requests skipped before sending because a placeholder had no value. */
  unresolved = 0;
  under100Corrected = 0;
  under100Raw = 0;
  /** Response bytes read (head and body), and request bytes written (set by the run). */
  bytesReceived = 0;
  bytesSent = 0;
  /** Sockets open at once, for --no-wait. */
  maxSockets = 0;

  constructor(readonly t0: number) {}

  second(atMs: number): SecondRecord {
    const i = Math.max(0, Math.floor(atMs / 1000));
    while (this.seconds.length <= i) this.seconds.push({ sent: 0, ok: 0, errors: 0, missed: 0, corrected: latencyHistogram(2), raw: latencyHistogram(2) });
    return this.seconds[i]!;
  }

  /** A send planned at `plannedAt` and handed to a connection at `at` ms since the start; `late` when known now (--no-wait). */
  sentOne(plannedAt: number, at: number, late: boolean): void {
    this.sent++;
    if (plannedAt < this.firstPlannedAt) this.firstPlannedAt = plannedAt;
    if (at > this.lastSentAt) this.lastSentAt = at;
    this.second(at).sent++;
    if (late) this.late(at);
  }

  private late(at: number): void {
    this.missedLate++;
    this.second(at).missed++;
  }

  dropped(at: number): void {
    if (at < this.firstPlannedAt) this.firstPlannedAt = at;
    this.missedDropped++;
    this.second(at).missed++;
  }

  /**
   * A response (or failure) for a request planned at `plannedAt` ms since the start. It
   * was late (a missed send) if it reached a socket more than `lateMs` after its plan.
   */
  outcome(req: CompiledRequest, rendered: Rendered, plannedAt: number, o: Outcome, lateMs: number): void {
    const end = o.endedAt - this.t0;
    if (end > this.lastAnsweredAt) this.lastAnsweredAt = end;
    if (o.sentAt - this.t0 - plannedAt > lateMs) this.late(o.sentAt - this.t0);
    const correctedMs = end - plannedAt;
    const rawMs = o.endedAt - o.sentAt;
    this.completed++;
    if (o.bytes) this.bytesReceived += o.bytes;
    recordMs(this.corrected, correctedMs);
    recordMs(this.raw, rawMs);
    if (correctedMs < 100) this.under100Corrected++;
    if (rawMs < 100) this.under100Raw++;
    const sec = this.second(end);
    recordMs(sec.corrected, correctedMs);
    recordMs(sec.raw, rawMs);
    const key = o.status ? String(o.status) : (o.error ?? 'error');
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    let cls = this.classes.get(req.class);
    if (!cls) this.classes.set(req.class, (cls = { total: 0, ok: 0, errors: 0, corrected: latencyHistogram() }));
    cls.total++;
    recordMs(cls.corrected, correctedMs);
    let tpl = this.templates.get(req.id);
    if (!tpl) this.templates.set(req.id, (tpl = emptyTemplate(req)));
    tpl.total++;
    recordMs(tpl.corrected, correctedMs);
    if (correctedMs < 100) tpl.under100++;
    if (o.status && isExpected(req.class, o.status)) {
      this.ok++;
      cls.ok++;
      tpl.ok++;
      sec.ok++;
      return;
    }
    this.errors++;
    cls.errors++;
    tpl.errors++;
    sec.errors++;
    const ek = `${req.class} ${key}`;
    this.errorsByClass.set(ek, (this.errorsByClass.get(ek) ?? 0) + 1);
    if (o.status && isFinding(req.class, o.status)) {
      const fk = `${req.id} ${o.status}`;
      const f = this.findings.get(fk);
      if (f) f.count++;
      else this.findings.set(fk, { id: req.id, name: req.name, class: req.class, status: o.status, count: 1, example: rendered });
    }
  }

  /** Everything several recorders of one run (one per legacy entry) saw, as one recorder. */
  static merge(recs: readonly Recorder[]): Recorder {
    const out = new Recorder(recs[0]?.t0 ?? 0);
    const addTo = (m: Map<string, number>, from: Map<string, number>) => {
      for (const [k, n] of from) m.set(k, (m.get(k) ?? 0) + n);
    };
    for (const r of recs) {
      out.corrected.add(r.corrected);
      out.raw.add(r.raw);
      for (const [cls, c] of r.classes) {
        let o = out.classes.get(cls);
        if (!o) out.classes.set(cls, (o = { total: 0, ok: 0, errors: 0, corrected: latencyHistogram() }));
        o.total += c.total;
        o.ok += c.ok;
        o.errors += c.errors;
        o.corrected.add(c.corrected);
      }
      for (const [id, x] of r.templates) {
        let o = out.templates.get(id);
        if (!o) out.templates.set(id, (o = emptyTemplate(x)));
        o.total += x.total;
        o.ok += x.ok;
        o.errors += x.errors;
        o.under100 += x.under100;
        o.corrected.add(x.corrected);
      }
      addTo(out.statuses, r.statuses);
      addTo(out.errorsByClass, r.errorsByClass);
      for (const [k, f] of r.findings) {
        const o = out.findings.get(k);
        if (o) o.count += f.count;
        else out.findings.set(k, { ...f });
      }
      r.seconds.forEach((sec, i) => {
        const o = out.second(i * 1000);
        o.sent += sec.sent;
        o.ok += sec.ok;
        o.errors += sec.errors;
        o.missed += sec.missed;
        o.corrected.add(sec.corrected);
        o.raw.add(sec.raw);
      });
      out.sent += r.sent;
      out.firstPlannedAt = Math.min(out.firstPlannedAt, r.firstPlannedAt);
      out.lastSentAt = Math.max(out.lastSentAt, r.lastSentAt);
      out.lastAnsweredAt = Math.max(out.lastAnsweredAt, r.lastAnsweredAt);
      out.completed += r.completed;
      out.ok += r.ok;
      out.errors += r.errors;
      out.missedLate += r.missedLate;
      out.missedDropped += r.missedDropped;
      out.unresolved += r.unresolved;
      out.under100Corrected += r.under100Corrected;
      out.under100Raw += r.under100Raw;
      out.bytesReceived += r.bytesReceived;
      out.bytesSent += r.bytesSent;
      out.maxSockets += r.maxSockets;
    }
    return out;
  }
}
