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

t.test('bad flags exit 2 with one line naming the flag', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--min', '5', '--max', '2'], /invalid --min \(SHOAL_AUTOSCALER_MIN\): must not exceed --max/],
    [['--interval', 'soon'], /invalid --interval \(SHOAL_AUTOSCALER_INTERVAL\): expected a duration/],
    [['--target-memory', '150'], /invalid --target-memory \(SHOAL_AUTOSCALER_TARGET_MEMORY\)/],
    [['--provider', 'asg'], /invalid --provider \(SHOAL_AUTOSCALER_PROVIDER\): expected local or ec2/],
    [['--provider', 'ec2', '--region', 'us-east-1', '--image-id', 'ami-0123456789abcdef0'], /invalid --subnets \(SHOAL_AUTOSCALER_SUBNETS\): the ec2 provider needs at least one subnet/],
    [['--dynamodb', 'embedded'], /invalid --dynamodb \(DYNAMODB_ENDPOINT\)/],
  ];
  for (const [flags, re] of cases) {
    const p = spawnShoal(t.teardown, ['autoscaler', ...flags]);
    t.equal(await p.exited(), 2, flags.join(' '));
    t.match(p.stderr(), re);
  }
});
