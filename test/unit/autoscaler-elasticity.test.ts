import t from 'tap';
import { elasticity } from '../../capacity/elasticity.js';

t.test('SPEC RG elasticity metrics on a hand-computed series', async (t) => {
  // [0,10) d2 s1: under ½·10   [10,20) d2 s2: exact   [20,30) d4 s2: under ½·10
  // [30,40) d4 s5: over ¼·10    [40,60) d1 s5: over 4·20; the t=60 sample only closes the series.
  const e = elasticity([
    { t: 0, demand: 2, supply: 1 },
    { t: 10, demand: 2, supply: 2 },
    { t: 20, demand: 4, supply: 2 },
    { t: 30, demand: 4, supply: 5 },
    { t: 40, demand: 1, supply: 5 },
    { t: 60, demand: 1, supply: 1 },
  ]);
  t.equal(e.durationSeconds, 60);
  t.equal(e.thetaU.toFixed(3), (1000 / 60).toFixed(3), 'θU = 100 · (5 + 5) / 60 %');
  t.equal(e.thetaO, 137.5, 'θO = 100 · (2.5 + 80) / 60 %');
  t.equal(e.tauU.toFixed(3), (2000 / 60).toFixed(3), 'τU = 20 s of 60');
  t.equal(e.tauO, 50, 'τO = 30 s of 60');
  t.match(e, { scalingActions: 3, scaleUps: 2, scaleDowns: 1, demandChanges: 2 });
  t.equal(e.jitter, 1, '(3 supply − 2 demand adaptations) per minute');
});

t.test('a perfect follower scores zero; zero demand divides by one unit', async (t) => {
  const perfect = elasticity([
    { t: 0, demand: 1, supply: 1 },
    { t: 30, demand: 3, supply: 3 },
    { t: 90, demand: 3, supply: 3 },
  ]);
  t.match(perfect, { thetaU: 0, thetaO: 0, tauU: 0, tauO: 0, jitter: 0, scalingActions: 1, demandChanges: 1 });
  const idle = elasticity([
    { t: 0, demand: 0, supply: 1 },
    { t: 10, demand: 0, supply: 1 },
  ]);
  t.equal(idle.thetaO, 100);
  t.same(elasticity([]), { thetaU: 0, thetaO: 0, tauU: 0, tauO: 0, jitter: 0, scalingActions: 0, scaleUps: 0, scaleDowns: 0, demandChanges: 0, durationSeconds: 0 });
});
