import t from 'tap';
import { constantRate, meanRate, openModelConnections, parseStages, peakRate, planDurationMs, plannedCount, plannedTimes, rateAt, truncatePlan } from '../../load/schedule.js';
import { parseDuration } from '../../lib/duration.js';

const times = (plan: Parameters<typeof plannedTimes>[0]) => [...plannedTimes(plan)].map((x) => Math.round(x * 1000) / 1000);

t.test('a constant rate plans evenly spaced sends', async (t) => {
  t.same(times(constantRate(10, 1000)), [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
  t.equal(plannedCount(constantRate(10, 1000)), 10);
  t.equal(plannedCount(constantRate(333, 3000)), 999);
  t.equal([...plannedTimes(constantRate(333, 3000))].length, 999);
  t.equal(plannedCount(constantRate(2.5, 1000)), 3, 'a part arrival at the end still counts once');
  t.same(times(constantRate(2.5, 1000)), [0, 400, 800]);
});

t.test('stages hold or ramp a rate; zero-rate stages plan nothing', async (t) => {
  const plan = parseStages('1s:4,2s:0,1s:2', parseDuration);
  t.same(plan, [
    { durationMs: 1000, from: 4, to: 4 },
    { durationMs: 2000, from: 0, to: 0 },
    { durationMs: 1000, from: 2, to: 2 },
  ]);
  t.same(times(plan), [0, 250, 500, 750, 3000, 3500]);
  t.equal(planDurationMs(plan), 4000);
  t.equal(meanRate(plan), 1.5);

  // a ramp 0→4/s over 2 s holds 4 arrivals; the k-th at √(k/a) with a = 1 per s²
  const ramp = parseStages('2s:0-4', parseDuration);
  t.same(ramp, [{ durationMs: 2000, from: 0, to: 4 }]);
  t.same(times(ramp), [0, 1000, 1414.214, 1732.051]);
  t.equal(plannedCount(ramp), 4);
  const down = [...plannedTimes(parseStages('2s:4-0', parseDuration))];
  t.equal(down.length, 4);
  t.ok(down[1]! - down[0]! < down[3]! - down[2]!, 'a ramp down spaces sends further apart');
});

t.test('the k-th send across a 30s:100,60s:100-500,30s:0 plan', async (t) => {
  const plan = parseStages('30s:100,60s:100-500,30s:0', parseDuration);
  t.equal(plannedCount(plan), 3000 + 18000);
  const all = [...plannedTimes(plan)];
  t.equal(all.length, 21000);
  t.equal(all[2999], 29990);
  t.equal(all[3000], 30000);
  t.ok(all.every((x, i) => i === 0 || x > all[i - 1]!), 'strictly increasing');
  t.ok(all[all.length - 1]! < 90000, 'nothing planned in the idle stage');
});

t.test('--duration cuts a plan, interpolating a ramp', async (t) => {
  t.same(truncatePlan(parseStages('10s:100-200,10s:50', parseDuration), 5000), [{ durationMs: 5000, from: 100, to: 150 }]);
  t.same(truncatePlan(constantRate(5, 10_000), 2000), [{ durationMs: 2000, from: 5, to: 5 }]);
});

t.test('bad stages say what is expected', async (t) => {
  t.throws(() => parseStages('30s', parseDuration), /DURATION:RATE/);
  t.throws(() => parseStages('xs:100', parseDuration), /bad stage/);
  t.throws(() => parseStages('10s:-5', parseDuration), /bad stage/);
  t.throws(() => parseStages('0s:100', parseDuration), /no time/);
});

t.test('peak rate of a plan', async (t) => {
  t.equal(peakRate(parseStages('30s:100,60s:100-500,30s:0', parseDuration)), 500);
  t.equal(peakRate(constantRate(42, 1000)), 42);
});

t.test('default connections of an open-model plan: its peak rate still goes out at 250 ms per answer', async (t) => {
  t.equal(openModelConnections(constantRate(200, 60_000)), 50, '200 req/s × 0.25 s');
  t.equal(openModelConnections(parseStages('30s:100,60s:100-500,30s:0', parseDuration)), 125, 'sized for the peak of a ramp');
  t.equal(openModelConnections(constantRate(20, 1000)), 16, 'never fewer than 16');
  t.equal(openModelConnections(constantRate(1_000_000, 1000)), 1000, 'nor more than 1000');
});

t.test('the planned rate at an instant: what the elasticity report calls offered', async (t) => {
  const plan = parseStages('10s:100,10s:100-300,5s:0', parseDuration);
  const table: [ms: number, rate: number][] = [
    [0, 100],
    [9_999, 100],
    [10_000, 100],
    [15_000, 200],
    [19_000, 280],
    [20_000, 0],
    [25_000, 0],
    [-1, 0],
  ];
  for (const [ms, rate] of table) t.equal(rateAt(plan, ms), rate, `${ms} ms`);
});
