import t from 'tap';
import { initialQuietGc, MIN_GC_INTERVAL_MS, planQuietGc, QUIET_MS, YOUNG_QUIET_MS, type QuietGcSample, type QuietGcState } from '../../proxy/quiet-gc-plan.js';

/** Runs samples through the plan; returns the actions, one per sample. */
function run(samples: QuietGcSample[], state: QuietGcState = initialQuietGc(samples[0]!)): { actions: string[]; state: QuietGcState } {
  const actions: string[] = [];
  for (const s of samples.slice(1)) {
    const p = planQuietGc(state, s);
    state = p.state;
    actions.push(p.action);
  }
  return { actions, state };
}
const at = (ms: number, activity: number, youngMb = 2, oldMb = 20): QuietGcSample => ({ at: ms, activity, youngMb, oldMb });

t.test('a burst, then quiet: one compaction after a quiet second, one more once V8 sees a low allocation rate', async (t) => {
  const { actions, state } = run([at(0, 0), at(500, 5000, 16, 40), at(1000, 10000, 16, 48), at(1500, 10000, 16, 48), at(2000, 10000, 16, 48), at(5000, 10000, 16, 40), at(7000, 10000, 16, 40), at(8000, 10000, 16, 40)]);
  t.same(actions, ['none', 'none', 'none', 'compact', 'none', 'none', 'compact'], 'compact at 1 s of quiet, again 6 s after that (the young generation still grown)');
  t.same(planQuietGc(state, at(14_000, 10000, 2, 30)).action, 'none', 'then nothing once the young generation is back to its start size');
});

t.test('the second collection is skipped when the young generation is already back to its start size', async (t) => {
  const { actions } = run([at(0, 0), at(500, 5000, 16, 40), at(1500, 5000, 16, 40), at(500 + YOUNG_QUIET_MS, 5000, 2, 30), at(20_000, 5000, 2, 30)]);
  t.same(actions, ['none', 'compact', 'none', 'none']);
});

t.test('while the young generation stays grown (something allocated meanwhile), up to three more tries, each after another quiet spell', async (t) => {
  const samples = [at(0, 0), at(500, 5000, 16, 40)];
  for (let ms = 1500; ms <= 40_000; ms += 500) samples.push(at(ms, 5000, 16, 30));
  const gcs = run(samples).actions.flatMap((a, i) => (a === 'compact' ? [samples[i + 1]!.at] : []));
  t.same(gcs, [1500, 7500, 13500, 19500], 'after the burst, then every 6 s three times, then no more');
});

t.test('no collection while the proxy is busy, however large its heap', async (t) => {
  const samples = [at(0, 0)];
  for (let ms = 500, n = 0; ms <= 20_000; ms += 500) samples.push(at(ms, (n += 300), 16, 60));
  t.ok(run(samples).actions.every((a) => a === 'none'), '40 busy samples, no GC');
});

t.test('a small spell, or one that grew nothing, is not worth a full GC', async (t) => {
  t.same(run([at(0, 0), at(500, 999, 16, 40), at(500 + QUIET_MS, 999, 16, 40), at(9000, 999, 16, 40)]).actions, ['none', 'none', 'none'], 'fewer than 1000 requests and accepts');
  t.same(run([at(0, 0), at(500, 5000, 2, 27), at(500 + QUIET_MS, 5000, 2, 27), at(9000, 5000, 2, 27)]).actions, ['none', 'none', 'none'], 'young generation at its start size, old grown by less than 8 MiB');
  t.same(run([at(0, 0), at(500, 5000, 2, 28), at(500 + QUIET_MS, 5000, 2, 28)]).actions, ['none', 'compact'], 'old generation grown by 8 MiB');
});

t.test('bursts close together get one spell of collections per interval', async (t) => {
  const samples = [at(0, 0)];
  let n = 0;
  // a 2,000-request burst every 3 s for 60 s
  for (let ms = 500; ms <= 60_000; ms += 500) samples.push(at(ms, ms % 3000 === 500 ? (n += 2000) : n, 16, 40));
  const gcs = run(samples).actions.flatMap((a, i) => (a === 'compact' ? [samples[i + 1]!.at] : []));
  t.ok(gcs.length >= 2, `collected at ${gcs.join(', ')} ms`);
  const spells = gcs.filter((ms, i) => i === 0 || ms - gcs[i - 1]! > YOUNG_QUIET_MS);
  for (let i = 1; i < spells.length; i++) t.ok(spells[i]! - spells[i - 1]! >= MIN_GC_INTERVAL_MS, `spells ${spells[i - 1]} and ${spells[i]} ms at least ${MIN_GC_INTERVAL_MS} ms apart`);
});
