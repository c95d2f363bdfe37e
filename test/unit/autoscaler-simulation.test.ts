import { fileURLToPath } from 'node:url';
import t from 'tap';
import { engineConfig } from '../../autoscaler/engine/config.js';
import { EngineScaler } from '../../autoscaler/sim/engine-scaler.js';
import { loadTrace } from '../../autoscaler/sim/trace.js';
import { flaps, simulate, type Trace } from '../../autoscaler/sim/world.js';

const TRACES = fileURLToPath(new URL('../../bench/traces/', import.meta.url));
const world = { bootMs: 30_000, capacityRps: 100, drainMs: 2000 };
const trace = (name: string) => loadTrace(`${TRACES}${name}.json`);

function run(tr: Trace, o: { min?: number; max?: number; withProxy?: boolean; capacityRps?: number } = {}) {
  const cfg = engineConfig({ min: o.min ?? 1, max: o.max ?? 20, intervalMs: 5000, targetRps: tr.targetRps });
  const scaler = new EngineScaler(cfg, o.withProxy ?? true);
  const result = simulate(tr, scaler, { ...world, capacityRps: o.capacityRps ?? world.capacityRps }, cfg.min);
  return { result, decisions: scaler.decisions, cfg };
}

t.test('a 5× step is sized in one decision', async (t) => {
  const tr = await trace('step-5x');
  for (const withProxy of [true, false]) {
    // Without a proxy the servers' own rates are the demand, so they must not saturate.
    const { result } = run(tr, { withProxy, capacityRps: withProxy ? 100 : 1000 });
    t.same(
      result.actions.map((a) => a.delta),
      [4],
      `one scale-out of +4, nothing after (${withProxy ? "proxies' offered rate" : "servers' own rates"})`,
    );
    t.ok(result.actions[0]!.t <= 120 + 2 * 5, 'seen within 2 intervals of the step');
  }
});

t.test('a 10× step: 1 → 5 → 10 within the scale-up policy, no double scale-up while booting', async (t) => {
  const { result } = run(await trace('step-10x'));
  t.same(result.actions.map((a) => a.delta), [4, 5]);
  t.equal(result.steps.at(-1)!.ready, 10);
});

t.test('square wave with a period longer than the window: zero direction reversals', async (t) => {
  const { result } = run(await trace('square'));
  t.equal(flaps(result.actions), 0, 'no reversal the load did not ask for');
  const ups = result.actions.filter((a) => a.delta > 0);
  t.equal(ups.length, 4, 'each rise sized in one decision');
  for (const a of result.actions) {
    const high = a.rps > 100;
    t.equal(a.delta > 0, high, `at ${a.t} s the action follows the load (${a.rps} req/s, ${a.delta > 0 ? '+' : ''}${a.delta})`);
  }
});

t.test('every trace: never below min or above max, no flaps', async (t) => {
  for (const name of ['step-5x', 'step-10x', 'square', 'ramp', 'spike']) {
    const tr = await trace(name);
    for (const [min, max] of [
      [1, 20],
      [2, 4],
    ] as const) {
      const { result, decisions } = run(tr, { min, max });
      const outside = result.steps.filter((s) => s.provisioned < min || s.provisioned > max);
      t.same(outside, [], `${name} [${min}, ${max}]: provisioned servers stay within bounds`);
      t.ok(
        decisions.every((d) => d.desired >= min && d.desired <= max),
        `${name} [${min}, ${max}]: every desired count within bounds`,
      );
      t.equal(flaps(result.actions), 0, `${name} [${min}, ${max}]: no flaps`);
    }
  }
});
