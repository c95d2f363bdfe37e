import si from 'systeminformation';
import t from 'tap';
import { hostId } from '../../monitors/host-id.js';
import { hostMemory, parseMeminfo } from '../../monitors/host-memory.js';
import { requestRate } from '../../monitors/request-rate.js';
import { usedPercent } from '../../monitors/used-percent.js';

t.test('usedPercent: (total − available) / total × 100', async (t) => {
  const GiB = 1024 ** 3;
  const table: { m: { total: number; available: number }; want: number }[] = [
    { m: { total: 16 * GiB, available: 12 * GiB }, want: 25 },
    { m: { total: 8 * GiB, available: 8 * GiB }, want: 0 },
    { m: { total: 8 * GiB, available: 0 }, want: 100 },
    { m: { total: 3, available: 2 }, want: 33.33 },
    { m: { total: 4, available: 9 }, want: 0 }, // available above total (racy read) is clamped
  ];
  for (const { m, want } of table) t.equal(usedPercent(m), want, `${m.available}/${m.total}`);
  t.throws(() => usedPercent({ total: 0, available: 0 }), { code: 'SHOAL_ERR_MEM_READING' });
  t.throws(() => usedPercent({ total: Number.NaN, available: 1 }), { code: 'SHOAL_ERR_MEM_READING' });
});

t.test('parseMeminfo: MemTotal and MemAvailable in bytes', async (t) => {
  const text = 'MemTotal:       24576000 kB\nMemFree:         1000000 kB\nMemAvailable:   12288000 kB\nBuffers:          100 kB\n';
  t.same(parseMeminfo(text), { total: 24576000 * 1024, available: 12288000 * 1024 });
  t.equal(parseMeminfo('MemTotal:       24576000 kB\nMemFree:         1000000 kB\n'), undefined, 'no MemAvailable (kernel < 3.14)');
  t.equal(parseMeminfo(''), undefined);
});

// The direct reads must name the host and size its memory as systeminformation does, so a
// fleet mixing versions of shoal counts each host once.
t.test('hostId and hostMemory agree with systeminformation', async (t) => {
  const u = await si.uuid();
  t.equal(await hostId(), u.os || u.hardware);
  const [mine, theirs] = await Promise.all([hostMemory(), si.mem()]);
  t.equal(mine.total, theirs.total);
  t.ok(Math.abs(mine.available - theirs.available) < 256 * 1024 ** 2, 'available within 256 MB (two reads of a moving figure)');
});

t.test('requestRate: from two readings of the absolute totals', async (t) => {
  const r = (bootId: string, total: number, updatedAt: number) => ({ bootId, total, updatedAt });
  t.equal(requestRate(r('b', 100, 1_000), r('b', 300, 3_000)), 100, '200 requests in 2 s');
  t.equal(requestRate(r('a', 900, 1_000), r('b', 50, 2_000)), 50, 'a new boot id counts from zero');
  t.equal(requestRate(r('b', 900, 1_000), r('b', 50, 2_000)), 50, 'a lower total counts from zero');
  t.equal(requestRate(undefined, r('b', 50, 2_000)), undefined, 'no earlier reading');
  t.equal(requestRate(r('b', 50, 2_000), r('b', 50, 2_000)), undefined, 'same write twice');
  t.equal(requestRate(r('b', 50, 3_000), r('b', 60, 2_000)), undefined, 'out of order');
});
