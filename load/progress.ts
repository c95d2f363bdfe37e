import type { Recorder } from './recorder.js';

/** A one-line live status on a terminal (elapsed, rate, ok/err, and p99 when the run is one part); silent when piped. */
export function startProgress(recs: readonly Recorder[], out: NodeJS.WriteStream, totalMs: number): () => void {
  if (!out.isTTY) return () => {};
  const sum = (f: (r: Recorder) => number) => recs.reduce((n, r) => n + f(r), 0);
  let lastSent = 0;
  let lastAt = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const sent = sum((r) => r.sent);
    const rate = ((sent - lastSent) * 1000) / (now - lastAt);
    lastSent = sent;
    lastAt = now;
    const h = recs[0]!.corrected;
    const p99 = recs.length > 1 ? '' : `  p99 ${h.totalCount ? (h.getValueAtPercentile(99) / 1000).toFixed(1) : '-'} ms`;
    const elapsed = Math.min(now - recs[0]!.t0, totalMs) / 1000;
    out.write(`\r\x1b[K${elapsed.toFixed(0)}s/${(totalMs / 1000).toFixed(0)}s  ${rate.toFixed(0)} req/s  ok ${sum((r) => r.ok)}  err ${sum((r) => r.errors)}  missed ${sum((r) => r.missedLate + r.missedDropped)}${p99}`);
  }, 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    out.write('\r\x1b[K');
  };
}
