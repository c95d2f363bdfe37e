import t from 'tap';
import { applyAction, due, nextRun, parseScheduledAction, upcoming } from '../../autoscaler/engine/schedule.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const at = (s: string) => Date.parse(s);

t.test('parsing: five cron fields, then sizes', async (t) => {
  t.same(parseScheduledAction('0 9 * * 1-5  min=4 max=10'), { text: '0 9 * * 1-5 min=4 max=10', cron: '0 9 * * 1-5', min: 4, max: 10 });
  t.throws(() => parseScheduledAction('0 9 * * 1-5'), /at least one size/);
  t.throws(() => parseScheduledAction('0 9 * * min=4'), /five cron fields/);
  t.throws(() => parseScheduledAction('0 25 * * * min=4'), /five cron fields/);
  t.throws(() => parseScheduledAction('0 9 * * * size=4'), /min=N/);
  t.throws(() => parseScheduledAction('0 9 * * * min=5 max=4'), /exceeds/);
});

t.test('a fake clock fires the actions in order, in the schedule’s time zone, across a DST change', async (t) => {
  const actions = ['0 9 * * 1-5 min=4', '0 18 * * 1-5 min=1', '30 8 * * 1 desired=6'].map(parseScheduledAction);
  // Europe/Paris moves from CET (+1) to CEST (+2) on Sunday 29 March 2026.
  const fired = due(actions, 'Europe/Paris', at('2026-03-27T00:00:00Z'), at('2026-03-31T12:00:00Z'));
  t.same(
    fired.map((f) => [iso(f.at), f.action.text]),
    [
      ['2026-03-27T08:00:00.000Z', '0 9 * * 1-5 min=4'],
      ['2026-03-27T17:00:00.000Z', '0 18 * * 1-5 min=1'],
      ['2026-03-30T06:30:00.000Z', '30 8 * * 1 desired=6'],
      ['2026-03-30T07:00:00.000Z', '0 9 * * 1-5 min=4'],
      ['2026-03-30T16:00:00.000Z', '0 18 * * 1-5 min=1'],
      ['2026-03-31T07:00:00.000Z', '0 9 * * 1-5 min=4'],
    ],
  );
  t.same(due(actions, 'Europe/Paris', at('2026-03-27T08:00:00Z'), at('2026-03-27T08:00:59Z')), [], 'the half-open window: a firing is due once');
  t.equal(iso(nextRun('0 9 * * 1-5', 'America/New_York', at('2026-03-27T20:00:00Z'))), '2026-03-30T13:00:00.000Z', 'New York, EDT');
  t.equal(iso(nextRun('0 9 * * 1-5', 'UTC', at('2026-03-27T20:00:00Z'))), '2026-03-30T09:00:00.000Z');
  t.equal(iso(nextRun('0 0 29 2 *', 'UTC', at('2026-03-01T00:00:00Z'))), '2028-02-29T00:00:00.000Z', 'a leap day, years ahead');
  t.same(upcoming(actions, 'Europe/Paris', at('2026-03-27T12:00:00Z'), 2).map((u) => [iso(u.at), u.text]), [
    ['2026-03-27T17:00:00.000Z', '0 18 * * 1-5 min=1'],
    ['2026-03-30T06:30:00.000Z', '30 8 * * 1 desired=6'],
  ]);
});

t.test('applying an action: Auto Scaling’s rules for min, max and desired', async (t) => {
  t.same(applyAction({ min: 1, max: 10 }, parseScheduledAction('0 9 * * * min=4')), { min: 4, max: 10, changes: 'min 1→4' });
  t.same(applyAction({ min: 1, max: 3 }, parseScheduledAction('0 9 * * * min=5')), { min: 5, max: 5, changes: 'min 1→5, max 3→5' });
  t.same(applyAction({ min: 4, max: 10 }, parseScheduledAction('0 9 * * * max=2')), { min: 2, max: 2, changes: 'min 4→2, max 10→2' });
  t.same(applyAction({ min: 1, max: 10 }, parseScheduledAction('0 9 * * * desired=20')), { min: 1, max: 10, desired: 10, changes: 'desired 10' });
});
