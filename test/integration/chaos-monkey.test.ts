import t from 'tap';
import { connectRedis, Fleet, isLive } from '../../fleet/index.js';
import { spawnShoal } from '../helpers/proc.js';
import { startUp } from '../helpers/up.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(300_000);

t.test('shoal chaos monkey kills opted-in servers on its schedule, never below --min-ready, each kill an event', async (t) => {
  const { stack, dataDir } = await startUp(t, ['--min', '3', '--max', '3', '--target-rps', '500', '--server-tags', 'chaos,web']);
  const redis = connectRedis(stack.redis.url);
  t.teardown(() => redis.disconnect());
  const fleet = new Fleet(redis, stack.prefix);
  const live = async () => {
    const now = Date.now();
    return (await fleet.registry.list()).filter((s) => isLive(s, now));
  };
  const threeLive = () => waitFor(async () => (await live()).length >= 3, { timeoutMs: 60_000, what: '3 live servers' });
  await threeLive();
  t.same((await live())[0]!.tags, ['chaos', 'web'], "the local provider writes --server-tags on each server's entry");

  // --dry-run: says whom it would kill, kills nobody
  const before = (await live()).map((s) => s.id).sort();
  const dry = spawnShoal(t.teardown, ['chaos', 'monkey', '--data-dir', dataDir, '--mean-time-between-kills', '1s', '--hours', '0-24', '--opt-in-tag', 'chaos', '--min-ready', '2', '--dry-run', '--max-kills', '1']);
  t.equal(await dry.exited(), 0, 'the dry run exits 0');
  t.match(dry.stdout(), /would kill local-\w+/, 'it says whom it would kill');
  t.same((await live()).map((s) => s.id).sort(), before, 'and nobody was killed');

  // Two kills at a mean of 1 s apart with --min-ready 2 of 3: the second waits for the replacement.
  let lowest = 3;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      lowest = Math.min(lowest, (await live()).length);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const run = spawnShoal(t.teardown, ['chaos', 'monkey', '--data-dir', dataDir, '--mean-time-between-kills', '1s', '--hours', '0-24', '--opt-in-tag', 'chaos', '--min-ready', '2', '--max-kills', '2']);
  t.equal(await run.exited(), 0, 'the monkey stops after --max-kills');
  sampling = false;
  await sampler;
  const out = run.stdout();
  t.equal(out.match(/^killed local-\w+/gm)?.length, 2, 'two kills');
  t.ok(lowest >= 2, `live servers never fell below --min-ready (lowest seen ${lowest})`);
  const events = (await fleet.chaosEvents.recent(100)).map((e) => e.data);
  t.equal(events.filter((e) => e.event === 'monkey-kill-ended').length, 2, 'each kill is an event on shoal:chaos:events');
  t.ok(events.some((e) => e.event === 'monkey-started') && events.some((e) => e.event === 'monkey-stopped'), 'start and stop are events too');
  await threeLive();

  // a bad flag: one line naming it, exit 2
  const bad = spawnShoal(t.teardown, ['chaos', 'monkey', '--data-dir', dataDir, '--hours', '17-9']);
  t.equal(await bad.exited(), 2);
  t.match(bad.stderr(), /--hours/);
});
