import t from 'tap';
import { isLive } from '../../fleet/index.js';
import { figures, runChaos, SHORT } from '../helpers/chaos.js';
import { testRedis } from '../helpers/redis.js';
import { startUp } from '../helpers/up.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(600_000);

// The same experiments against a deliberately weakened stack: no retries, no active health
// checks and no passive ejection, a balancer blind to load, a proxy that can hold only 200
// client sockets (as one left at a small file-descriptor limit), one Redis that nothing
// restarts or replaces (no Sentinel), and — for the experiments that kill servers — the
// autoscaler pinned (stopped), so nobody notices the death, takes the server out of the
// pool or replaces it. Each must FAIL: no verdict is a check that cannot fail.
t.test('every shipped experiment fails against a weakened stack', async (t) => {
  const redis = await testRedis(t.teardown);
  const { stack, dataDir } = await startUp(t, [
    '--redis', redis.url, '--prefix', redis.prefix,
    '--min', '3', '--max', '4', '--target-rps', '500', '--enable-faults',
    '--max-attempts', '1', '--health-interval', '0', '--eject-after', '1000000', '--balancer', 'round-robin',
    '--response-timeout', '3s', '--max-connections', '200',
  ]);
  const autoscaler = stack.autoscaler!.pid;
  // Before each run: at least 3 live servers, and every server the pool holds as ready really
  // answers. With no retries and no ejection, a server an earlier run left dead (the memory hog
  // can take one down) but whose last heartbeat is still fresh would fail the next run's load
  // setup; the resumed autoscaler marks it gone once its heartbeat is lost.
  const answers = async (address: string) => {
    try {
      return (await fetch(`http://${address}/healthz`, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  };
  const threeLive = () => waitFor(async () => {
    const now = Date.now();
    const ready = (await redis.fleet.registry.list()).filter((s) => s.state === 'ready');
    if (ready.filter((s) => isLive(s, now)).length < 3) return false;
    return (await Promise.all(ready.map((s) => answers(s.address)))).every(Boolean);
  }, { timeoutMs: 90_000, what: '3 live servers, every ready one answering' });
  const runs: { name: string; pinned?: boolean }[] = [
    { name: 'http-delay-proxy' },
    { name: 'cpu-exhaustion' },
    { name: 'no-wait-flood' },
    { name: 'memory-exhaustion' },
    { name: 'kill-server', pinned: true },
    { name: 'zone-loss', pinned: true },
    // last: it takes the stack's only Redis away for good
    { name: 'kill-redis-primary' },
  ];
  for (const { name, pinned } of runs) {
    await threeLive();
    if (pinned) process.kill(autoscaler, 'SIGSTOP');
    let res: Awaited<ReturnType<typeof runChaos>>;
    try {
      res = await runChaos(t, name, dataDir, name === 'http-delay-proxy' ? [...SHORT, '--compare'] : undefined);
    } finally {
      // resumed, it reaps the dead, marks them gone and replaces them for the next run
      if (pinned) process.kill(autoscaler, 'SIGCONT');
    }
    const { code, out, journal } = res;
    t.comment(`${name} (weakened${pinned ? ', autoscaler pinned' : ''}): ${journal.status} ${figures(journal)} — ${journal.reasons.join('; ')}`);
    t.equal(code, 1, `${name}: exit 1`);
    t.match(out, /verdict: FAILED/, `${name}: the verdict fails`);
    t.ok(journal.run.every((r) => r.status === 'succeeded'), `${name}: the fault was injected as asked (the failure is the system's, not the action's)`);
    t.ok(journal.deviated, `${name}: the steady state held before the method and not over it`);
    if (name === 'http-delay-proxy') {
      // --compare on a failing run: the control held, the experiment's success rate fell, and the table says which figure fails
      t.ok(journal.control?.steady_state.steady_state_met, '--compare: the control run held');
      const sr = journal.control!.diff.find((d) => d.probe === 'success-rate')!;
      t.ok(!sr.ok && sr.delta !== null && sr.delta < 0, `--compare: success rate fell by ${sr.delta} points and fails`);
      t.match(out, /success-rate .* FAILS \(≥ 99.9 %\)/, '--compare: the printed table marks the failing figure');
      t.comment(`http-delay-proxy --compare (weakened): ${journal.control!.diff.map((d) => `${d.probe} ${d.control} → ${d.experiment} (Δ ${d.delta}, ${d.ok ? 'holds' : 'FAILS'})`).join('; ')}`);
    }
  }
});
