import t from 'tap';
import { backoffUntil, updateBootFailures } from '../../autoscaler/engine/health.js';
import { engineConfig } from '../../autoscaler/engine/config.js';
import { scaleDownLimit, scaleUpLimit } from '../../autoscaler/engine/policy.js';
import { addSample, shortRate } from '../../autoscaler/engine/rates.js';
import { stabilized } from '../../autoscaler/engine/stabilization.js';
import type { TotalSample } from '../../autoscaler/engine/types.js';

const s = (at: number, total: number, bootId = 'a'): TotalSample => ({ at, total, bootId });

t.test('samples: kept for a while, deduplicated, restarted on a new boot or a lower total', async (t) => {
  let list: TotalSample[] = [];
  for (const x of [s(0, 0), s(1000, 10), s(1000, 10), s(2000, 30), s(3000, 60)]) list = addSample(list, x, 1500);
  t.same(list, [s(2000, 30), s(3000, 60)], 'old readings dropped, a repeated flush not added twice');
  t.same(addSample(list, s(4000, 5, 'b'), 10_000), [s(4000, 5, 'b')], 'new boot id: start over');
  t.same(addSample(list, s(4000, 2), 10_000), [s(4000, 2)], 'lower total: start over');
});

t.test('short-window rate from monotonic totals', async (t) => {
  const table: [string, TotalSample[], number, number | undefined][] = [
    ['one second', [s(0, 0), s(1000, 50)], 1000, 50],
    ['picks the newest reading at least a window older', [s(0, 0), s(1000, 10), s(2000, 20), s(3000, 120)], 1000, 100],
    ['a 2 s window', [s(0, 0), s(1000, 10), s(2000, 20), s(3000, 120)], 2000, 55],
    ['uses what it has when nothing is a window older', [s(0, 0), s(500, 40)], 1000, 80],
    ['a single reading has no rate', [s(0, 10)], 1000, undefined],
    ['nothing', [], 1000, undefined],
    ['stops at a boot change', [s(0, 900, 'old'), s(1000, 0), s(2000, 30)], 5000, 30],
  ];
  for (const [name, samples, win, want] of table) t.equal(shortRate(samples, win), want, name);
});

t.test('policies, stabilization and back-off arithmetic', async (t) => {
  const up = { percent: 100, servers: 4, periodMs: 15_000 };
  t.equal(scaleUpLimit(up, [], 1, 0), 5, '1 + 4 beats 1 × 2');
  t.equal(scaleUpLimit(up, [], 10, 0), 20, '10 × 2 beats 10 + 4');
  t.equal(scaleUpLimit(up, [{ at: -5000, delta: 4 }], 5, 0), 5, 'counted from the start of the period');
  t.equal(scaleUpLimit(up, [{ at: -20_000, delta: 4 }], 5, 0), 10, 'an older action no longer counts');
  const down = { percent: 50, servers: 1, periodMs: 15_000 };
  t.equal(scaleDownLimit(down, [], 10, 0), 5);
  t.equal(scaleDownLimit(down, [], 1, 0), 0, 'at least one server per period');
  t.equal(scaleDownLimit(down, [{ at: -1000, delta: -5 }], 5, 0), 5, 'the period already took its half');
  const recs = [
    { at: 0, desired: 4 },
    { at: 30_000, desired: 2 },
    { at: 50_000, desired: 1 },
  ];
  t.equal(stabilized(recs, 55_000, 60_000), 4);
  t.equal(stabilized(recs, 61_000, 60_000), 2);
  const cfg = engineConfig({ min: 1, max: 5, intervalMs: 1000, backoff: { baseMs: 1000, maxMs: 8000 } });
  t.equal(backoffUntil({ count: 0, lastAt: 100, ids: [] }, cfg), 0);
  t.same([1, 2, 3, 4, 5, 9].map((count) => backoffUntil({ count, lastAt: 0, ids: [] }, cfg)), [1000, 2000, 4000, 8000, 8000, 8000]);
  const f = updateBootFailures({ count: 0, lastAt: 0, ids: [] }, [{ id: 'a', instanceId: '1', reason: 'boot-exit' }, { id: 'b', instanceId: '2', reason: 'heartbeat-lost' }], [], 10);
  t.same(f, { count: 1, lastAt: 10, ids: ['a'] }, 'a lost heartbeat is not a boot failure');
});
