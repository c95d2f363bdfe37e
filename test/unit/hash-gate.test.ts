import t from 'tap';
import { HashGate } from '../../app/auth/hash-gate.js';

/** A task that finishes when the test says so, recording how many ran at once. */
function tasks(gate: HashGate, n: number) {
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const finish: (() => void)[] = [];
  const done = Array.from({ length: n }, (_, i) =>
    gate.run(async () => {
      started.push(i);
      peak = Math.max(peak, ++running);
      await new Promise<void>((resolve) => (finish[i] = resolve));
      running--;
      return i;
    }),
  );
  return { done, started, finish, peak: () => peak };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

t.test('at most `limit` hashes run at once; the rest start in arrival order as slots free', async (t) => {
  const x = tasks(new HashGate(2), 5);
  await settle();
  t.same(x.started, [0, 1], 'two run, three wait');
  x.finish[1]!();
  await settle();
  t.same(x.started, [0, 1, 2], 'a freed slot goes to the first in line');
  x.finish[0]!();
  x.finish[2]!();
  await settle();
  t.same(x.started, [0, 1, 2, 3, 4]);
  x.finish[3]!();
  x.finish[4]!();
  t.same(await Promise.all(x.done), [0, 1, 2, 3, 4], 'each caller gets its own result');
  t.equal(x.peak(), 2);
});

t.test('a failed hash frees its slot and its caller gets the error', async (t) => {
  const gate = new HashGate(1);
  const failed = gate.run(() => Promise.reject(new Error('boom')));
  const next = gate.run(async () => 'ran');
  await t.rejects(failed, /boom/);
  t.equal(await next, 'ran');
});
