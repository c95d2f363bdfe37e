import t from 'tap';
import { pickP2C, pickRoundRobin, slowStartWeight, SLOW_START_MIN_WEIGHT, type Candidate } from '../../proxy/balancer.js';

const c = (inflight: number, weight = 1): Candidate => ({ inflight, weight, rrCurrent: 0 });

/** A fixed sequence of "random" numbers, so each choice is exact. */
const seq = (...xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length]!;
};

t.test('p2c: of the two drawn, the one with fewer in flight wins', async (t) => {
  const cases: { name: string; cands: Candidate[]; rand: number[]; want: number }[] = [
    { name: 'empty', cands: [], rand: [0], want: -1 },
    { name: 'one', cands: [c(9)], rand: [0.5], want: 0 },
    { name: 'draws 0 and 1, 1 is idler', cands: [c(5), c(1), c(0)], rand: [0.1, 0.1], want: 1 },
    { name: 'draws 2 and 0, 0 is idler', cands: [c(0), c(3), c(4)], rand: [0.9, 0.1], want: 0 },
    { name: 'tie goes to the first draw', cands: [c(2), c(2), c(2)], rand: [0.5, 0.9], want: 1 },
    { name: 'never the same one twice', cands: [c(7), c(1)], rand: [0.1, 0.1], want: 1 },
    { name: 'in flight per unit weight: 2/0.1 loses to 5/1', cands: [c(5, 1), c(2, 0.1)], rand: [0.1, 0.5], want: 0 },
  ];
  for (const k of cases) t.equal(pickP2C(k.cands, seq(...k.rand)), k.want, k.name);
});

t.test('p2c at idle: share follows the slow start weights', async (t) => {
  let x = 12345;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const cands = [c(0, 1), c(0, 1), c(0, 0.25)];
  const counts = [0, 0, 0];
  for (let i = 0; i < 9000; i++) counts[pickP2C(cands, rand)]!++;
  const share = counts[2]! / 9000;
  t.ok(share > 0.07 && share < 0.15, `ramping server got ${(share * 100).toFixed(1)} % (weight share 11 %)`);
});

t.test('round robin: plain rotation at equal weights, even interleave when one ramps', async (t) => {
  const eq = [c(0), c(0), c(0)];
  t.same(Array.from({ length: 6 }, () => pickRoundRobin(eq)), [0, 1, 2, 0, 1, 2]);
  const ramp = [c(0, 1), c(0, 0.5)];
  const picks = Array.from({ length: 6 }, () => pickRoundRobin(ramp));
  t.same(picks, [0, 1, 0, 0, 1, 0], 'weight 0.5 gets every third request, spread out');
  t.equal(pickRoundRobin([]), -1);
});

t.test('slow start weight ramps linearly from the floor to 1', async (t) => {
  const cases: [age: number, window: number, want: number][] = [
    [0, 10_000, SLOW_START_MIN_WEIGHT],
    [-5, 10_000, SLOW_START_MIN_WEIGHT],
    [5_000, 10_000, SLOW_START_MIN_WEIGHT + (1 - SLOW_START_MIN_WEIGHT) / 2],
    [10_000, 10_000, 1],
    [99_000, 10_000, 1],
    [0, 0, 1],
  ];
  for (const [age, window, want] of cases) t.equal(Math.round(slowStartWeight(age, window) * 1000) / 1000, Math.round(want * 1000) / 1000, `age ${age} window ${window}`);
});
