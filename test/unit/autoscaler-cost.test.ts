import t from 'tap';
import { CostMeter } from '../../autoscaler/cost-meter.js';
import { accrue, costChange, DEFAULT_PRICES, emptyLedger, parsePrices, priceOf } from '../../autoscaler/engine/cost.js';

const H = 3_600_000;
const a = { id: 'a', instanceType: 't3.small', market: 'on-demand' as const };
const b = { id: 'b', instanceType: 't3.small', market: 'spot' as const };

t.test('a known sequence of launches and terminations, by hand', async (t) => {
  // t3.small: $0.0208/h On-Demand, Spot at 30 %: $0.00624/h
  t.equal(priceOf(DEFAULT_PRICES, b), 0.00624);
  let l = accrue(emptyLedger(0), [a], 0, DEFAULT_PRICES); // a launched at 0 h
  t.equal(round(l.perHour), 0.0208);
  l = accrue(l, [a, b], 1 * H, DEFAULT_PRICES); // b (Spot) at 1 h: a ran 1 h
  t.equal(l.instanceHours, 1);
  t.equal(round(l.perHour), 0.02704);
  t.equal(round(l.cost), 0.0208);
  l = accrue(l, [b], 2.5 * H, DEFAULT_PRICES); // a terminated at 2.5 h: 1.5 h × both
  t.equal(l.instanceHours, 4);
  t.equal(round(l.cost), 0.06136, '0.0208 + 1.5 × (0.0208 + 0.00624)');
  l = accrue(l, [], 3.5 * H, DEFAULT_PRICES); // b terminated at 3.5 h
  t.equal(l.instanceHours, 5);
  t.equal(round(l.cost), 0.0676, '0.06136 + 0.00624');
  t.equal(l.perHour, 0);
});

t.test('a decision’s cost change per hour: launches at their price, minus what it removes', async (t) => {
  t.equal(costChange(DEFAULT_PRICES, 2, 0.0208, [b]), 0.03536, '2 × 0.0208 − 0.00624');
  t.equal(costChange(DEFAULT_PRICES, 0, 0.0208, [a, b]), -0.02704);
});

t.test('prices: configured over the defaults; Spot follows an On-Demand price unless given', async (t) => {
  const p = parsePrices('t3.small=0.02, c9.huge:spot=1, c9.huge=4,local=0.01');
  t.same(p['t3.small'], { onDemand: 0.02, spot: 0.006 });
  t.same(p['c9.huge'], { onDemand: 4, spot: 1 });
  t.same(p.local, { onDemand: 0.01, spot: 0.003 });
  t.same(p['m5.large'], DEFAULT_PRICES['m5.large']);
  t.throws(() => parsePrices('t3.small=cheap'), /TYPE=USD/);
});

function round(n: number): number {
  return Math.round(n * 1e8) / 1e8;
}

t.test('a leader change loses and double-counts nothing: the new leader charges from the last moment the old one recorded', async (t) => {
  const two = [
    { id: 'a', instanceId: '1', state: 'running' as const, zone: 'z', launchedAt: 0, instanceType: 't3.small', market: 'on-demand' as const },
    { id: 'b', instanceId: '2', state: 'running' as const, zone: 'z', launchedAt: 0, instanceType: 't3.small', market: 'spot' as const },
  ];
  // Without a leader change: 2 instances × 3 h, at 0.02704 $/h.
  const one = new CostMeter(DEFAULT_PRICES);
  one.resume(undefined, 0);
  for (const at of [0, 1 * H, 3 * H]) one.observe(two, at);
  const whole = one.observe(two, 3 * H);
  t.equal(whole.instanceHours, 6);
  const cases = [
    { name: 'takeover well after the old leader’s last recorded tick', recordedAt: 1 * H, takeover: 2 * H },
    { name: 'takeover right at it', recordedAt: 1 * H, takeover: 1 * H },
    { name: 'the old leader’s last tick was never recorded (deposed before writing)', recordedAt: 0, takeover: 2.5 * H },
  ];
  for (const c of cases) {
    const old = new CostMeter(DEFAULT_PRICES);
    old.resume(undefined, 0);
    let recorded = old.observe(two, 0);
    if (c.recordedAt > 0) recorded = old.observe(two, c.recordedAt);
    const next = new CostMeter(DEFAULT_PRICES);
    next.resume(JSON.parse(JSON.stringify(recorded)), c.takeover); // as read back from the state hash
    const s = next.observe(two, 3 * H);
    t.equal(s.instanceHours, whole.instanceHours, `${c.name}: instance-hours`);
    t.equal(s.cost, whole.cost, `${c.name}: cost`);
    t.equal(s.since, 0, `${c.name}: still counting since the first leader began`);
  }
});
