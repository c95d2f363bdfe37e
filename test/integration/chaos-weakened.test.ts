import t from 'tap';
import { figures, runChaos } from '../helpers/chaos.js';
import { testRedis } from '../helpers/redis.js';
import { startUp } from '../helpers/up.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(600_000);

// The same experiments against a deliberately weakened stack: no retries, no active health
// checks, a balancer blind to load, a low connection cap, and one Redis that nothing
// restarts or replaces (no Sentinel). Each must FAIL: no verdict is a check that cannot fail.
t.test('the experiments a weakened stack cannot pass fail against it', async (t) => {
  const redis = await testRedis(t.teardown);
  const { dataDir } = await startUp(t, [
    '--redis', redis.url, '--prefix', redis.prefix,
    '--min', '3', '--max', '4', '--target-rps', '500', '--enable-faults',
    '--max-attempts', '1', '--health-interval', '0', '--balancer', 'round-robin', '--response-timeout', '3s', '--max-connections', '300',
  ]);
  const threeReady = () => waitFor(async () => (await redis.fleet.registry.list()).filter((s) => s.state === 'ready').length >= 3, { timeoutMs: 60_000, what: '3 ready servers' });
  // Not here yet: kill-server, zone-loss and no-wait-flood. On an idle machine this weakening
  // does not make them fail (a killed server is marked gone and leaves the pool before a
  // request reaches it; the flood stays under the connection cap), so they need a weakening
  // that bites before they can be listed.
  const runs: [string, string[]?][] = [
    ['http-delay-proxy'],
    ['cpu-exhaustion'],
    ['memory-exhaustion'],
    // last: it takes the stack's only Redis away for good
    ['kill-redis-primary'],
  ];
  for (const [name, extra] of runs) {
    await threeReady();
    const { code, out, journal } = await runChaos(t, name, dataDir, extra);
    t.comment(`${name} (weakened): ${journal.status} ${figures(journal)} — ${journal.reasons.join('; ')}`);
    t.equal(code, 1, `${name}: exit 1`);
    t.match(out, /verdict: FAILED/, `${name}: the verdict fails`);
    t.ok(journal.deviated || journal.status === 'aborted', `${name}: the steady state did not hold`);
  }
});
