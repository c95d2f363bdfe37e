import t from 'tap';
import { elasticity } from '../../capacity/elasticity.js';
import { toSample } from '../../load/elasticity-sampler.js';

t.test('demand is the offered rate over the target per server, in whole servers; supply counts ready servers only', async (t) => {
  const servers = [{ state: 'ready' }, { state: 'ready' }, { state: 'launching' }, { state: 'draining' }, { state: 'gone' }] as const;
  t.same(toSample(3, 250, servers, 50), { t: 3, demand: 5, supply: 2 });
  t.same(toSample(4, 251, servers, 50), { t: 4, demand: 5, supply: 2 }, 'a wobble within the tolerance band is no demand change');
  t.same(toSample(4, 256, servers, 50), { t: 4, demand: 6, supply: 2 }, 'past the band it is');
  t.same(toSample(5, 0, [], 50), { t: 5, demand: 0, supply: 0 });
});

t.test('figures on a recorded supply/demand series match hand-computed values', async (t) => {
  // offered 100 req/s for 2 s, then 300 req/s; target 100 req/s per server; the fleet follows 1 s late
  const series = [
    toSample(0, 100, [{ state: 'ready' }], 100), // d 1, s 1
    toSample(1, 100, [{ state: 'ready' }], 100), // d 1, s 1
    toSample(2, 300, [{ state: 'ready' }], 100), // d 3, s 1: under by 2/3 for 1 s
    toSample(3, 300, [{ state: 'ready' }, { state: 'ready' }, { state: 'ready' }], 100), // d 3, s 3
    toSample(4, 100, [{ state: 'ready' }, { state: 'ready' }, { state: 'ready' }], 100), // d 1, s 3: over by 2 for 1 s
    toSample(5, 100, [{ state: 'ready' }], 100), // closes the series
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
