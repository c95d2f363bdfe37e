import { pino } from 'pino';
import t from 'tap';
import { FlushLoop } from '../../monitors/flush-loop.js';
import { waitFor } from '../helpers/wait.js';

function captureLog() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines, msgs: (re: RegExp) => lines.filter((l) => re.test(l.msg)) };
}

t.test('never two writes at once: a tick while one runs is skipped', async (t) => {
  const { log } = captureLog();
  let running = 0;
  let most = 0;
  let calls = 0;
  let hang = true;
  let release: () => void = () => {};
  const loop = new FlushLoop({
    name: 'test',
    intervalMs: 5,
    timeoutMs: 10_000,
    log,
    write: () => {
      calls++;
      running++;
      most = Math.max(most, running);
      if (!hang) {
        running--;
        return Promise.resolve();
      }
      return new Promise<void>((r) => {
        release = () => {
          running--;
          r();
        };
      });
    },
  });
  loop.start();
  await waitFor(() => calls === 1, { what: 'first write' });
  const first = loop.run();
  t.equal(loop.run(), first, 'run() while one is running returns that one');
  await new Promise((r) => setTimeout(r, 50)); // several ticks pass while the write hangs
  t.equal(calls, 1, 'no second write while the first runs');
  release();
  await first;
  await waitFor(() => calls >= 2, { what: 'writes resume' });
  hang = false;
  release();
  await loop.stop();
  t.equal(most, 1);
});

t.test('an outage is logged once and its end once; a hung write is abandoned', async (t) => {
  const { log, msgs } = captureLog();
  let mode: 'ok' | 'fail' | 'hang' = 'fail';
  let writes = 0;
  const loop = new FlushLoop({
    name: 'test',
    intervalMs: 10,
    timeoutMs: 30,
    maxUnsettled: 2,
    log,
    write: async () => {
      writes++;
      if (mode === 'fail') throw new Error('Connection is closed.');
      if (mode === 'hang') await new Promise(() => {});
    },
  });
  loop.start();
  await waitFor(() => writes >= 5, { what: 'several failing writes' });
  t.equal(msgs(/unreachable/).length, 1, 'outage logged once');
  mode = 'ok';
  await waitFor(() => msgs(/reachable again/).length === 1, { what: 'recovery log' });
  mode = 'hang';
  await waitFor(() => msgs(/no reply/).length === 1, { what: 'abandon log' });
  await waitFor(() => msgs(/skipping writes/).length === 1, { what: 'backlog cap' });
  const atCap = writes;
  await new Promise((r) => setTimeout(r, 60));
  t.equal(writes, atCap, 'no new writes while the unanswered ones are at the cap');
  t.equal(msgs(/no reply/).length, 1, 'logged once however many are abandoned');
  await loop.stop();
  t.equal(msgs(/reachable again/).length, 1);
});

t.test('stop: final write once, idempotent, timer gone', async (t) => {
  const { log } = captureLog();
  let finals = 0;
  let writes = 0;
  const loop = new FlushLoop({ name: 'test', intervalMs: 5, timeoutMs: 1000, log, write: async () => void writes++ });
  loop.start();
  await waitFor(() => writes >= 2);
  const a = loop.stop(async () => void finals++);
  const b = loop.stop(async () => void finals++);
  t.equal(a, b, 'the same promise');
  await a;
  const after = writes;
  loop.start(); // a stopped loop stays stopped
  await new Promise((r) => setTimeout(r, 30));
  t.equal(writes, after, 'no ticks after stop');
  t.equal(finals, 1);
});
