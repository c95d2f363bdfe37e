import t from 'tap';
import { spawnShoal } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { autoscaler, stack } from './autoscaler-harness.js';

// six autoscaler starts (the ec2 case loads the AWS SDK) take minutes on a loaded 2-core machine
t.setTimeout(240_000);

t.test('a server that crashes at boot: back-off and one probe at a time, not a launch storm', async (t) => {
  const s = await stack(t.teardown);
  const a = await autoscaler(t.teardown, s, ['--min', '2', '--max', '4', '--app-command', `${process.execPath} -e process.exit(1)`]);
  const decisions = await waitFor(
    async () => {
      const d = (await a.decisions()).reverse();
      return d.some((x) => x.explanation.bootFailures >= 3) ? d : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: 'three boot failures' },
  );
  const launches = decisions.filter((d) => d.acted.launched.length > 0).map((d) => d.acted.launched.length);
  t.equal(launches[0], 2, 'the minimum first');
  t.same(launches.slice(1), launches.slice(1).map(() => 1), 'after that, one probe server per back-off');
  t.ok(launches.length <= 3 && decisions.length >= 3 * launches.length, `${launches.length} launches in ${decisions.length} decisions`);
  const held = decisions.filter((d) => d.rule === 'back-off');
  t.ok(held.length >= 3, `${held.length} decisions held back`);
  t.match(held[0], { launch: 0, desired: 2, acted: { launched: [] } });
  t.match(held[0]!.reason, /boot failures in a row; next launch after/);
  t.ok(held[0]!.explanation.backoffUntil! > held[0]!.at);
  const dead = decisions.flatMap((d) => d.dead);
  t.ok(dead.length >= 3 && dead.every((d) => d.reason === 'boot-exit'), 'each failure seen as a boot that exited');
  for (const [id, n] of deaths(decisions).dead) t.equal(n, 1, `${id} judged dead by one decision`);
  const total = launches.reduce((a, b) => a + b, 0);
  const all = await waitFor(
    async () => {
      const list = await s.fleet.registry.list();
      return list.length === total && list.every((x) => x.state === 'gone') ? list : undefined;
    },
    { what: 'every failed boot marked gone' },
  );
  t.equal(all.length, total, `${total} servers launched in all, each marked gone`);
  t.ok((await a.metric('shoal_autoscaler_boot_failures')) >= 3);
});

/** Each server id judged dead, with how many decisions judged it: one failed launch, one death. */
function deaths(decisions: readonly { dead: { id: string }[]; acted: { markedGone: string[] } }[]): { dead: Map<string, number>; marked: Map<string, number> } {
  const dead = new Map<string, number>();
  const marked = new Map<string, number>();
  for (const d of decisions) {
    for (const x of d.dead) dead.set(x.id, (dead.get(x.id) ?? 0) + 1);
    for (const id of d.acted.markedGone) marked.set(id, (marked.get(id) ?? 0) + 1);
  }
  return { dead, marked };
}

t.test('a server that never gets ready: stopped at the boot timeout, judged dead once, backed off once', async (t) => {
  const s = await stack(t.teardown);
  const a = await autoscaler(t.teardown, s, ['--min', '1', '--max', '2', '--boot-timeout', '1500ms', '--app-command', `${process.execPath} -e setInterval(Object,1000)`]);
  const decisions = await waitFor(
    async () => {
      const d = (await a.decisions()).reverse();
      // a few ticks after the second failure, so a second verdict on either would be in
      const second = d.findIndex((x) => x.explanation.bootFailures >= 2);
      return second >= 0 && d.length - second >= 6 ? d : undefined;
    },
    { timeoutMs: 45_000, intervalMs: 200, what: 'two boot timeouts and a few ticks after' },
  );
  const launched = decisions.flatMap((d) => d.acted.launched);
  const { dead, marked } = deaths(decisions);
  t.ok(dead.size >= 2, `${dead.size} servers timed out at boot`);
  for (const [id, n] of dead) {
    t.ok(launched.includes(id), `${id} was launched`);
    t.equal(n, 1, `${id} judged dead by one decision`);
    t.equal(marked.get(id), 1, `${id} marked gone by one decision`);
  }
  t.ok(decisions.flatMap((d) => d.dead).every((d) => d.reason === 'boot-timeout'), 'each seen as a boot timeout, not also as an exit');
  const counts = decisions.map((d) => d.explanation.bootFailures);
  t.same(counts.filter((c, i) => i === 0 || c !== counts[i - 1]).filter((c) => c > 0), [...Array(Math.max(...counts)).keys()].map((i) => i + 1), 'the back-off counts each failure once: 1, 2, …');
});

t.test('bad flags exit 2 with one line naming the flag', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--min', '5', '--max', '2'], /invalid --min \(SHOAL_AUTOSCALER_MIN\): must not exceed --max/],
    [['--interval', 'soon'], /invalid --interval \(SHOAL_AUTOSCALER_INTERVAL\): expected a duration/],
    [['--target-memory', '150'], /invalid --target-memory \(SHOAL_AUTOSCALER_TARGET_MEMORY\)/],
    [['--provider', 'gce'], /invalid --provider \(SHOAL_AUTOSCALER_PROVIDER\): expected local, ec2 or asg/],
    [['--provider', 'asg', '--region', 'us-east-1'], /invalid --group \(SHOAL_AUTOSCALER_GROUP\): the asg provider needs the Auto Scaling group/],
    [['--provider', 'ec2', '--region', 'us-east-1', '--image-id', 'ami-0123456789abcdef0'], /invalid --subnets \(SHOAL_AUTOSCALER_SUBNETS\): the ec2 provider needs at least one subnet/],
    [['--dynamodb', 'embedded'], /invalid --dynamodb \(DYNAMODB_ENDPOINT\)/],
  ];
  for (const [flags, re] of cases) {
    const p = spawnShoal(t.teardown, ['autoscaler', ...flags]);
    t.equal(await p.exited(), 2, flags.join(' '));
    t.match(p.stderr(), re);
  }
});
