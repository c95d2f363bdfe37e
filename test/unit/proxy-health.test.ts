import t from 'tap';
import { eject, ejectionAllowed, ejectionMs, newHealth, observeCheck, observeRequest, stillEjected } from '../../proxy/health.js';

const cfg = { rise: 2, fall: 3, ejectBaseMs: 1000, ejectMaxMs: 8000 };

t.test('ejection cap', async (t) => {
  const cases: [pool: number, ejected: number, pct: number, want: boolean][] = [
    [1, 0, 100, false], // never the only server
    [2, 0, 10, true], // at least one of two or more
    [2, 1, 50, false],
    [3, 0, 50, true],
    [3, 1, 50, false],
    [10, 4, 50, true],
    [10, 5, 50, false],
    [10, 0, 0, true], // floor of one
  ];
  for (const [pool, ejected, pct, want] of cases) t.equal(ejectionAllowed(pool, ejected, pct), want, `${ejected}/${pool} ejected, cap ${pct} %`);
});

t.test('ejection back-off doubles and is capped', async (t) => {
  t.same([1, 2, 3, 4, 5].map((n) => ejectionMs(n, cfg)), [1000, 2000, 4000, 8000, 8000]);
  const s = newHealth(0);
  t.equal(eject(s, cfg, 100), 1000);
  t.ok(stillEjected(s, 1099));
  t.notOk(stillEjected(s, 1100), 're-admitted when the back-off ends');
  t.equal(s.admittedAt, 1100, 'and its slow start ramp restarts');
  t.equal(eject(s, cfg, 2000), 2000, 'second ejection lasts twice as long');
  t.equal(eject(s, cfg, 2000 + 4 * 8000 + 1), 1000, 'forgiven after a long calm');
});

t.test('active checks need rise passes to come up and fall failures to go down', async (t) => {
  const s = newHealth(0);
  t.same([false, false, false].map((ok, i) => observeCheck(s, ok, cfg, i)), [undefined, undefined, 'down']);
  t.same([true, false, true, true].map((ok, i) => observeCheck(s, ok, cfg, 10 + i)), [undefined, undefined, undefined, 'up']);
  t.equal(s.admittedAt, 13);
});

t.test('passive: consecutive failures cross the threshold, a success resets', async (t) => {
  const s = newHealth(0);
  t.same([true, true, false, true, true, true].map((f) => observeRequest(s, f, 3)), [false, false, false, false, false, true]);
});
