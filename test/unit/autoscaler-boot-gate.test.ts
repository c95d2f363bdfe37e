import t from 'tap';
import { BootGate } from '../../autoscaler/providers/boot-gate.js';

t.test('boots at most `limit` at once, the rest in launch order as earlier ones finish', async (t) => {
  const g = new BootGate(2);
  const steps: [string, string[]][] = [
    ['enqueue a', g.enqueue('a')],
    ['enqueue b', g.enqueue('b')],
    ['enqueue c', g.enqueue('c')],
    ['enqueue d', g.enqueue('d')],
    ['b ready', g.done('b')],
    ['a ready', g.done('a')],
    ['c gone', g.done('c')],
    ['d ready', g.done('d')],
  ];
  t.same(steps, [
    ['enqueue a', ['a']],
    ['enqueue b', ['b']],
    ['enqueue c', []],
    ['enqueue d', []],
    ['b ready', ['c']],
    ['a ready', ['d']],
    ['c gone', []],
    ['d ready', []],
  ]);
  t.same(g.started, []);
});

t.test('a server that ends while still queued leaves the queue; a limit below 1 still boots one at a time', async (t) => {
  const g = new BootGate(0);
  t.same(g.enqueue('a'), ['a']);
  t.same(g.enqueue('b'), []);
  t.same(g.enqueue('c'), []);
  t.same(g.done('b'), [], 'b never started');
  t.same(g.done('a'), ['c']);
  t.same(g.started, ['c']);
  t.same(g.done('x'), [], 'an unknown id changes nothing');
});
