import t from 'tap';
import { binValue, LATENCY_BINS, latencyBin, percentile } from '../../monitors/latency-histogram.js';
import { SlidingWindow } from '../../monitors/window.js';

t.test('latency bins: monotonic, bounded, each value within ±4.5 % of its bin value', async (t) => {
  const cases = [0.02, 0.1, 0.5, 1, 1.3, 2, 7.7, 10, 50, 100, 999, 5_000, 60_000];
  let last = -1;
  for (const ms of cases) {
    const b = latencyBin(ms);
    t.ok(b > last, `${ms} ms lands above the previous value's bin`);
    last = b;
    t.ok(Math.abs(binValue(b) - ms) / ms <= 0.045, `${ms} ms reads back as ${binValue(b).toFixed(3)}`);
  }
  t.equal(latencyBin(0), 0, 'zero');
  t.equal(latencyBin(-3), 0, 'clock skew never indexes out of range');
  t.equal(latencyBin(Number.NaN), 0);
  t.equal(latencyBin(1e12), LATENCY_BINS - 1, 'huge values go to the last bin');
});

t.test('percentile: table', async (t) => {
  const table: { name: string; values: number[]; q: number; want: number }[] = [
    { name: 'empty is 0', values: [], q: 0.5, want: 0 },
    { name: 'single value', values: [10], q: 0.95, want: 10 },
    { name: 'median of 1..100', values: range(1, 100), q: 0.5, want: 50 },
    { name: 'p95 of 1..100', values: range(1, 100), q: 0.95, want: 95 },
    { name: 'p95 sees a 5 % tail', values: [...Array(95).fill(2), ...Array(5).fill(200)], q: 0.95, want: 2 },
    { name: 'p95 sees a 6 % tail', values: [...Array(94).fill(2), ...Array(6).fill(200)], q: 0.95, want: 200 },
  ];
  for (const c of table) {
    const bins = new Uint32Array(LATENCY_BINS);
    for (const v of c.values) bins[latencyBin(v)]!++;
    const got = percentile(bins, c.values.length, c.q);
    t.ok(c.want === 0 ? got === 0 : Math.abs(got - c.want) / c.want <= 0.045, `${c.name}: got ${got}, want ≈ ${c.want}`);
  }
});

t.test('sliding window: rate over the covered time, old buckets fall out', async (t) => {
  const start = 100_000; // monotonic ms, a whole second
  const w = new SlidingWindow(10_000, start);
  t.same(w.snapshot(start), { count: 0, rps: 0, p50Ms: 0, p95Ms: 0 }, 'empty');

  // 50 requests per second for 20 s, 4 ms each
  for (let s = 0; s < 20; s++) for (let i = 0; i < 50; i++) w.record(start + s * 1000 + i * 20, 4);
  const full = w.snapshot(start + 19_999);
  t.equal(full.count, 500, 'ten buckets of 50');
  t.ok(Math.abs(full.rps - 50) < 0.1, `steady 50 rps reads ${full.rps}`);
  t.ok(Math.abs(full.p50Ms - 4) < 0.2 && Math.abs(full.p95Ms - 4) < 0.2, 'percentiles');

  // five quiet seconds later half the window is empty
  const later = w.snapshot(start + 24_999);
  t.equal(later.count, 250);
  t.ok(Math.abs(later.rps - 25) < 0.1, `rate halves: ${later.rps}`);
  t.equal(w.snapshot(start + 40_000).count, 0, 'all gone after a whole window of silence');

  // a reused slot starts from zero
  w.record(start + 40_500, 100);
  const reused = w.snapshot(start + 40_999);
  t.equal(reused.count, 1);
  t.ok(Math.abs(reused.p95Ms - 100) / 100 < 0.045);
});

t.test('sliding window: a young monitor divides by its age, at least one bucket', async (t) => {
  const start = 5_000.5;
  const w = new SlidingWindow(10_000, start);
  for (let i = 0; i < 30; i++) w.record(start + 100 * i, 1);
  t.equal(w.snapshot(start + 3000).rps, 10, '30 requests in 3 s');
  const w2 = new SlidingWindow(10_000, start);
  w2.record(start + 10, 1);
  t.equal(w2.snapshot(start + 200).rps, 1, 'never divides by less than one bucket');
});

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}
