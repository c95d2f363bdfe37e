import { schedule, validate } from 'node-cron';
import t from 'tap';
import { decideTick, killChance, parseHours, tickSchedule, type TickInput } from '../../chaos/monkey.js';
import type { Server } from '../../fleet/index.js';

const NOW = 1_000_000;

const server = (id: string, o: Partial<Server> = {}): Server => ({
  id, address: `127.0.0.1:${4000 + id.charCodeAt(0)}`, state: 'ready', provider: 'local', instanceId: '1', host: 'h', zone: 'local-a',
  launchedAt: 0, heartbeatAt: NOW - 1000, stateChangedAt: 0, bootId: '', tags: ['chaos'], ...o,
});

t.test('tickSchedule: hours and weekdays are cron fields; a second tick under a 10 min mean, a minute above', async (t) => {
  const rows: [Parameters<typeof tickSchedule>[0], string, number][] = [
    [{ meanMs: 600_000, hours: { from: 9, to: 17 }, weekdays: true }, '0 * 9-16 * * 1-5', 60_000],
    [{ meanMs: 599_999, hours: { from: 9, to: 17 }, weekdays: false }, '* * 9-16 * * *', 1000],
    [{ meanMs: 3_600_000, hours: { from: 0, to: 24 }, weekdays: false }, '0 * * * * *', 60_000],
    [{ meanMs: 2000, hours: { from: 13, to: 14 }, weekdays: true }, '* * 13 * * 1-5', 1000],
  ];
  for (const [c, cron, tickMs] of rows) {
    t.same(tickSchedule(c), { cron, tickMs }, `${c.meanMs} ms, ${c.hours.from}-${c.hours.to}${c.weekdays ? ', weekdays' : ''}`);
    t.ok(validate(cron), `${cron} is a cron node-cron takes`);
  }
  // 9-17 on weekdays: Friday 16:59:30 matches, Friday 17:00 and Saturday 10:00 do not
  const task = schedule('* * 9-16 * * 1-5', () => {}, { timezone: 'UTC' });
  t.ok(task.match(new Date('2026-11-27T16:59:30Z')), 'Friday 16:59 is inside 9-17');
  t.notOk(task.match(new Date('2026-11-27T17:00:00Z')), 'Friday 17:00 is outside');
  t.notOk(task.match(new Date('2026-11-28T10:00:00Z')), 'Saturday is outside with --weekdays');
  await task.destroy();
});

t.test('killChance: a Poisson process — one tick of a mean is 63 %, small ticks are about tick/mean', async (t) => {
  t.equal(Math.round(killChance(1000, 1000) * 1000) / 1000, 0.632);
  t.ok(Math.abs(killChance(60_000, 600_000) - 0.0952) < 0.0001);
  t.ok(killChance(1000, 3_600_000) < 1000 / 3_600_000);
});

t.test('parseHours: FROM-TO, FROM included, TO excluded', async (t) => {
  t.same(parseHours('9-17'), { from: 9, to: 17 });
  t.same(parseHours('0-24'), { from: 0, to: 24 });
  for (const bad of ['17-9', '9-9', '9', '24-25', 'nine-five', '9-25']) t.type(parseHours(bad), 'string', `${bad} is refused`);
});

t.test('decideTick: kills a random live opted-in server, never below --min-ready, never the same one twice', async (t) => {
  const c = { tag: 'chaos', minReady: 2 };
  const base = (servers: Server[], o: Partial<TickInput> = {}): TickInput => ({ servers, now: NOW, killedLately: new Set(), roll: 0, pick: 0, chance: 0.5, ...o });
  const three = [server('a'), server('b'), server('c')];
  const rows: [string, TickInput, string | undefined, RegExp][] = [
    ['the roll says not this tick', base(three, { roll: 0.5 }), undefined, /not this tick/],
    ['first pick', base(three, { pick: 0 }), 'a', /3 opted-in/],
    ['last pick', base(three, { pick: 0.999 }), 'c', /2 live left/],
    ['at --min-ready: no kill', base([server('a'), server('b')]), undefined, /2 live server\(s\), --min-ready 2/],
    ['a server killed lately does not count as live', base(three, { killedLately: new Set(['a']) }), undefined, /--min-ready 2/],
    ['a stale heartbeat does not count as live', base([...three.slice(0, 2), server('c', { heartbeatAt: NOW - 60_000 })]), undefined, /--min-ready/],
    ['draining and launching do not count', base([...three, server('d', { state: 'draining' }), server('e', { state: 'launching' })], { pick: 0.999 }), 'c', /3 opted-in/],
    ['only opted-in servers are picked', base([server('a', { tags: [] }), server('b', { tags: undefined }), server('c'), server('d', { tags: ['web', 'chaos'] })], { pick: 0 }), 'c', /2 opted-in/],
    ['nobody opted in', base([server('a', { tags: ['web'] }), server('b', { tags: [] }), server('c', { tags: [] })]), undefined, /opt-in tag chaos/],
  ];
  for (const [what, input, victim, reason] of rows) {
    const d = decideTick(c, input);
    t.equal(d.kill?.id, victim, what);
    t.match(d.reason, reason, `${what}: the reason says why`);
  }
});
