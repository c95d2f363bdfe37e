import t from 'tap';
import { afterExit, type RestartPolicy } from '../../cli/stack/restart-policy.js';

const policy: RestartPolicy = { burst: 3, windowMs: 60_000, firstDelayMs: 100, maxDelayMs: 300 };

t.test('each restart within the window waits twice as long, capped; past the burst it gives up', async (t) => {
  const rows: { restarts: number[]; now: number; want: ReturnType<typeof afterExit>['verdict'] }[] = [
    { restarts: [], now: 1000, want: { restart: true, delayMs: 100, inWindow: 1 } },
    { restarts: [1000], now: 2000, want: { restart: true, delayMs: 200, inWindow: 2 } },
    { restarts: [1000, 2000], now: 3000, want: { restart: true, delayMs: 300, inWindow: 3 } },
    { restarts: [1000, 2000, 3000], now: 4000, want: { restart: false, inWindow: 3 } },
    // restarts older than the window are forgotten: a child that crashes once an hour is fine
    { restarts: [1000, 2000, 3000], now: 62_500, want: { restart: true, delayMs: 200, inWindow: 2 } },
    { restarts: [1000, 2000, 3000], now: 200_000, want: { restart: true, delayMs: 100, inWindow: 1 } },
  ];
  for (const r of rows) t.same(afterExit(policy, r.restarts, r.now).verdict, r.want, `restarts ${JSON.stringify(r.restarts)} at ${r.now}`);
});

t.test('the history returned is the window, this restart included', async (t) => {
  t.same(afterExit(policy, [1000, 70_000], 80_000).restarts, [70_000, 80_000]);
  t.same(afterExit(policy, [10, 20, 30], 40).restarts, [10, 20, 30], 'a refusal adds nothing');
});
