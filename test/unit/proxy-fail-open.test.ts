import { pino } from 'pino';
import t from 'tap';
import { FailOpenLatch } from '../../proxy/fail-open.js';

t.test('fail open: on while ready servers are there and none passes; logged once when it starts and once when it ends', async (t) => {
  const lines: { level: number; msg: string }[] = [];
  const latch = new FailOpenLatch(pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) }));
  const steps: { ready: number; passing: number; open: boolean; logged?: RegExp; why: string }[] = [
    { ready: 2, passing: 2, open: false, why: 'every server passes' },
    { ready: 2, passing: 1, open: false, why: 'one passes: it takes everything' },
    { ready: 2, passing: 0, open: true, logged: /every ready server fails its health checks; routing to them anyway \(fail open\)/, why: 'none passes' },
    { ready: 2, passing: 0, open: true, why: 'still none: no second line' },
    { ready: 2, passing: 1, open: false, logged: /a server passes its health checks again; fail open is over/, why: 'one passes again' },
    { ready: 0, passing: 0, open: false, why: 'no ready server: nothing to fail open to (the 503)' },
    { ready: 1, passing: 0, open: true, logged: /fail open\)/, why: 'again' },
    { ready: 0, passing: 0, open: false, logged: /no ready server left; fail open is over/, why: 'the last ready server drained' },
  ];
  for (const s of steps) {
    const before = lines.length;
    latch.update(s.ready, s.passing);
    t.equal(latch.open, s.open, s.why);
    const added = lines.slice(before).map((l) => l.msg);
    if (s.logged) t.match(added, [s.logged], `${s.why}: logged`);
    else t.same(added, [], `${s.why}: nothing logged`);
  }
});
