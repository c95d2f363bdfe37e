import t from 'tap';
import { latencyHistogram, recordMs } from '../../load/histogram.js';
import { phaseLatency, scalingPhases, type ScalingSample } from '../../load/phases.js';

const s = (t: number, supply: number, desired: number | null): ScalingSample => ({ t, supply, autoscalerDesired: desired });

t.test('scalingPhases: before, during (first change until ready matches the last ask), after', async (t) => {
  const table: { name: string; series: ScalingSample[]; want: [string, number, number][] }[] = [
    { name: 'no autoscaler decisions', series: [s(0, 1, null), s(1, 1, null)], want: [] },
    { name: 'never scaled', series: [s(0, 1, 1), s(1, 1, 1), s(2, 1, 1)], want: [] },
    {
      name: 'one scale-out, settled',
      series: [s(0, 1, 1), s(1, 1, 1), s(2, 1, 5), s(3, 2, 5), s(4, 5, 5), s(5, 5, 5)],
      want: [['before', 0, 2], ['during', 2, 4], ['after', 4, 10]],
    },
    {
      name: 'two steps: during lasts until the second ask is met',
      series: [s(0, 1, 1), s(1, 1, 3), s(2, 3, 3), s(3, 3, 5), s(4, 4, 5), s(5, 5, 5)],
      want: [['before', 0, 1], ['during', 1, 5], ['after', 5, 10]],
    },
    { name: 'not settled by the end', series: [s(0, 1, 1), s(3, 1, 4), s(6, 2, 4)], want: [['before', 0, 3], ['during', 3, 10]] },
    // the first ask seen (2) is the baseline, so "before" runs until it changes
    { name: 'no decision at first', series: [s(0, 1, null), s(1, 1, 2), s(2, 1, 4), s(3, 4, 4)], want: [['before', 0, 2], ['during', 2, 3], ['after', 3, 10]] },
  ];
  for (const c of table) t.same(scalingPhases(c.series, 10).map((w) => [w.phase, w.fromS, w.toS]), c.want, c.name);
});

t.test('phaseLatency: each window merges its seconds’ corrected histograms', async (t) => {
  const second = (...ms: number[]) => {
    const h = latencyHistogram(2);
    for (const m of ms) recordMs(h, m);
    return { corrected: h };
  };
  const seconds = [second(5, 5, 5), second(5, 6), second(900, 1200, 5), second(7, 7)];
  const got = phaseLatency(
    [
      { phase: 'before', fromS: 0, toS: 2 },
      { phase: 'during', fromS: 2, toS: 3 },
      { phase: 'after', fromS: 3, toS: 4 },
    ],
    seconds,
  );
  t.same(got.map((p) => [p.phase, p.requests]), [['before', 5], ['during', 3], ['after', 2]]);
  t.ok(got[0]!.p99 < 7, 'before: fast');
  t.ok(got[1]!.p99 > 1000, 'during: the stall shows');
  t.ok(got[2]!.p50 >= 6.9 && got[2]!.p50 <= 7.1, 'after: fast again');
});
