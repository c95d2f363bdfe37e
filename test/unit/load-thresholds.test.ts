import t from 'tap';
import { evaluateThresholds, parseThreshold } from '../../load/thresholds.js';
import type { Summary } from '../../load/summary.js';

t.test('thresholds parse into metric, comparison, bound and unit', async (t) => {
  t.match(parseThreshold('p99<200ms'), { metric: 'p99', op: '<', value: 200, unit: 'ms' });
  t.match(parseThreshold(' p99.9 <= 1.5s '), { metric: 'p99.9', op: '<=', value: 1500, unit: 'ms' });
  t.match(parseThreshold('raw.median<10'), { metric: 'raw.median', value: 10, unit: 'ms' });
  t.match(parseThreshold('errors<1%'), { metric: 'errors', op: '<', value: 1, unit: '%' });
  t.match(parseThreshold('errors<5'), { metric: 'errors', value: 5, unit: '' });
  t.match(parseThreshold('rate>=95'), { metric: 'rate', op: '>=', value: 95 });
  t.match(parseThreshold('under100ms>99'), { metric: 'under100ms', unit: '%' });
  for (const bad of ['p99', 'p99<<200', 'p42<1ms', 'errors<1ms', 'p99<5%', 'rate>5%', 'p99<abc', '']) {
    t.throws(() => parseThreshold(bad), /bad threshold/, bad);
  }
});

t.test('thresholds evaluate against the summary', async (t) => {
  const s = {
    requests: { total: 1000, errors: 20, missed: 5, planned: 1000 },
    rate: { achieved: 99.5 },
    latency: { corrected: { p50: 3, p99: 250, p999: 400, mean: 5, min: 1, max: 900, p90: 9, p95: 20 }, raw: { p99: 30 } },
    percentUnder100ms: 98.5,
    findings: [{}, {}],
  } as unknown as Summary;
  const r = evaluateThresholds(['p99<200ms', 'raw.p99<200ms', 'errors<1%', 'errors<=2%', 'missed<10', 'rate>=99', 'under100ms>99', 'findings<1'].map(parseThreshold), s);
  t.same(
    r.map((x) => [x.expr, x.actual, x.ok]),
    [
      ['p99<200ms', 250, false],
      ['raw.p99<200ms', 30, true],
      ['errors<1%', 2, false],
      ['errors<=2%', 2, true],
      ['missed<10', 5, true],
      ['rate>=99', 99.5, true],
      ['under100ms>99', 98.5, false],
      ['findings<1', 2, false],
    ],
  );
});
