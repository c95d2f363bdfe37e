import t from 'tap';
import { applyChanges, applyFull, type Listed } from '../../autoscaler/providers/instance-book.js';
import type { InstanceState } from '../../autoscaler/providers/provider.js';

const STATE: Record<string, InstanceState> = { pending: 'pending', running: 'running', 'shutting-down': 'stopping', stopping: 'stopping', stopped: 'gone', terminated: 'gone' };
const listed = (id: string, ec2State: string, notedAt = 0): Listed => ({ instance: { id, instanceId: id, state: STATE[ec2State]!, zone: 'z1', launchedAt: 0 }, ec2State, notedAt });
const book = (...l: Listed[]) => new Map(l.map((x) => [x.instance.instanceId, x]));
const states = (b: Map<string, Listed>) => Object.fromEntries([...b].map(([id, l]) => [id, `${l.ec2State}/${l.instance.state}`]));

t.test('a tick lists only what is not running: the rest of the book is running, or aged out', async (t) => {
  const before = book(listed('i-a', 'running'), listed('i-b', 'pending'), listed('i-c', 'running'), listed('i-d', 'terminated'), listed('i-e', 'stopped'), listed('i-f', 'shutting-down'));
  const after = applyChanges(before, [listed('i-c', 'shutting-down'), listed('i-f', 'terminated'), listed('i-g', 'pending')], 5);
  t.same(states(after), {
    'i-a': 'running/running',
    'i-b': 'running/running',
    'i-c': 'shutting-down/stopping',
    'i-e': 'running/running',
    'i-f': 'terminated/gone',
    'i-g': 'pending/pending',
  }, 'a pending one left out went running; a terminated one left out aged out of the listing; a stopped one started again');
  t.equal(after.get('i-g')!.notedAt, 5, 'a newcomer is noted now');
  t.equal(after.get('i-c')!.notedAt, 0, 'a known one keeps when it was first noted');
  t.same(states(applyChanges(new Map(), [], 5)), {}, 'nothing known, nothing listed');
});

t.test('a full listing replaces the book, keeping only what was learned after it started', async (t) => {
  const before = book(listed('i-a', 'running', 0), listed('i-old', 'running', 90), listed('i-new', 'pending', 100));
  const after = applyFull(before, [listed('i-a', 'shutting-down', 100), listed('i-z', 'running', 100)], 100);
  t.same(states(after), { 'i-a': 'shutting-down/stopping', 'i-z': 'running/running', 'i-new': 'pending/pending' }, 'the listing wins; a launch noted since it started stays; one noted before it and not listed is gone');
});
