import t from 'tap';
import { elasticity } from '../../capacity/elasticity.js';
import { askOf } from '../../fleet/decision-tail.js';
import { toSample } from '../../load/elasticity-sampler.js';

const ready = (n: number) => Array.from({ length: n }, () => ({ state: 'ready' as const }));

t.test('demand is ⌈offered / target⌉ in whole servers, beside what the autoscaler asked; supply counts ready servers only', async (t) => {
  const servers = [{ state: 'ready' }, { state: 'ready' }, { state: 'launching' }, { state: 'draining' }, { state: 'gone' }] as const;
  const ask = { at: 1, desired: 4, current: 4, rule: 'tolerance', rps: 201.3, rpsVote: 4 };
  t.same(toSample(3, 200, servers, 50, ask), { t: 3, offeredRps: 200, demand: 4, supply: 2, autoscalerDesired: 4, autoscalerRps: 201.3 });
  t.same(toSample(4, 201, servers, 50, ask), { t: 4, offeredRps: 201, demand: 5, supply: 2, autoscalerDesired: 4, autoscalerRps: 201.3 }, '201 is 5 servers; the autoscaler’s band kept 4, and the report shows both');
  t.same(toSample(5, 0, [], 50, undefined), { t: 5, offeredRps: 0, demand: 0, supply: 0, autoscalerDesired: null, autoscalerRps: null }, 'no decision recorded yet');
});

t.test('a decision on the stream: its desired count and the rps metric’s demand and vote', async (t) => {
  const data = {
    desired: 5,
    current: 1,
    rule: 'scale-out',
    explanation: { metrics: [{ metric: 'memory', demand: 80, desired: 2 }, { metric: 'rps', demand: 241.3, desired: 5 }] },
  };
  t.same(askOf({ id: '1-0', at: 1000, data }), { at: 1000, desired: 5, current: 1, rule: 'scale-out', rps: 241.3, rpsVote: 5 });
  t.same(askOf({ id: '2-0', at: 2000, data: { desired: 2, current: 2, rule: 'min', explanation: { metrics: [] } } }), { at: 2000, desired: 2, current: 2, rule: 'min', rps: null, rpsVote: null });
  t.equal(askOf({ id: '3-0', at: 3000, data: { note: 'not a decision' } }), undefined);
});

t.test('figures on a recorded supply/demand series match hand-computed values', async (t) => {
  // offered 100 req/s for 2 s, then 300 req/s; target 100 req/s per server; the fleet follows 1 s late
  const series = [
    toSample(0, 100, ready(1), 100, undefined), // d 1, s 1
    toSample(1, 100, ready(1), 100, undefined), // d 1, s 1
    toSample(2, 300, ready(1), 100, undefined), // d 3, s 1: under by 2/3 for 1 s
    toSample(3, 300, ready(3), 100, undefined), // d 3, s 3
    toSample(4, 100, ready(3), 100, undefined), // d 1, s 3: over by 2 for 1 s
    toSample(5, 100, ready(1), 100, undefined), // closes the series
  ];
  const e = elasticity(series);
  // T = 5 s; θU = 100/5 × (2/3 × 1) ; θO = 100/5 × (2/1 × 1); τU = τO = 100/5 × 1
  t.equal(Math.round(e.thetaU * 1000) / 1000, 13.333);
  t.equal(e.thetaO, 40);
  t.equal(e.tauU, 20);
  t.equal(e.tauO, 20);
  t.equal(e.scalingActions, 2);
  t.equal(e.demandChanges, 2);
  t.equal(e.jitter, 0);
});
