import t from 'tap';
import { HpaModel } from '../../autoscaler/sim/hpa-model.js';
import { simulate, type Trace } from '../../autoscaler/sim/world.js';

// 60 s at 50 req/s, then 250 req/s; 50 per server is the target, a server serves at most 100.
const step: Trace = { name: 'step', description: '50 → 250 req/s', stepSeconds: 60, targetRps: 50, rps: [50, 250, 250, 250] };
const world = { bootMs: 30_000, capacityRps: 100, drainMs: 2000 };
const run = (signal: 'served' | 'offered') => simulate(step, new HpaModel({ min: 1, max: 20, targetRps: 50, signal }), world, 1);

t.test('fed the offered rate, the HPA model sizes the step at its first sync that sees it whole', async (t) => {
  const r = run('offered');
  t.equal(r.scaler, 'hpa offered');
  // the sync at 75 s reads 250 req/s over the 15 s window: ⌈250 / 50⌉ = 5, and +4 is the policy's limit
  t.same(r.actions.map((a) => [a.t, a.delta]), [[75, 4]]);
});

t.test('fed the served rate, it sees only what one saturated server serves', async (t) => {
  const r = run('served');
  t.equal(r.scaler, 'hpa served');
  // 100 req/s served on one pod is a ratio of 2: ⌈2 × 1⌉ = 2, not the 5 the load needs
  t.same(r.actions[0], { t: 75, delta: 1, rps: 250, rule: undefined });
  t.ok(r.actions.length > 1, 'it needs more syncs to reach 5');
  t.equal(r.steps.at(-1)!.ready, 5, 'and gets there in the end');
});
