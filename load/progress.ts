import type { Recorder } from './recorder.js';

/** A one-line live status on a terminal (elapsed, rate, ok/err, p99); silent when piped. */
export function startProgress(rec: Recorder, out: NodeJS.WriteStream, totalMs: number): () => void {
  if (!out.isTTY) return () => {};
  let lastSent = 0;
  let lastAt = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const rate = ((rec.sent - lastSent) * 1000) / (now - lastAt);
    lastSent = rec.sent;
    lastAt = now;
    const p99 = rec.corrected.totalCount ? (rec.corrected.getValueAtPercentile(99) / 1000).toFixed(1) : '-';
    const elapsed = Math.min(now - rec.t0, totalMs) / 1000;
    out.write(`\r\x1b[K${elapsed.toFixed(0)}s/${(totalMs / 1000).toFixed(0)}s  ${rate.toFixed(0)} req/s  ok ${rec.ok}  err ${rec.errors}  missed ${rec.missedLate + rec.missedDropped}  p99 ${p99} ms`);
  }, 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    out.write('\r\x1b[K');
  };
}
