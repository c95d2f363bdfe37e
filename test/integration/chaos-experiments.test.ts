import { readFileSync } from 'node:fs';
import t from 'tap';
import { connectRedis, Fleet } from '../../fleet/index.js';
import { launchChromium } from '../helpers/browser.js';
import { figures, runChaos, SHORT, startChaos } from '../helpers/chaos.js';
import type { Journal } from '../../chaos/journal.js';
import { startUp } from '../helpers/up.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(600_000);

// One stack for every experiment that needs no Sentinel: three servers, fault hooks on, and a
// response timeout below the injected delay so the proxy can give up on a slow server.
t.test('the shipped experiments pass against shoal up; rollbacks run on SIGINT; the dashboard shows the events', async (t) => {
  const { stack, dataDir } = await startUp(t, ['--min', '3', '--max', '4', '--target-rps', '500', '--response-timeout', '3s', '--enable-faults']);
  const redis = connectRedis(stack.redis.url);
  t.teardown(() => redis.disconnect());
  const fleet = new Fleet(redis, stack.prefix);
  const threeReady = () => waitFor(async () => (await fleet.registry.list()).filter((s) => s.state === 'ready').length >= 3, { timeoutMs: 60_000, what: '3 ready servers' });

  // cpu-exhaustion runs with --compare: a control window of the same load without the fault first
  for (const name of ['kill-server', 'http-delay-proxy', 'cpu-exhaustion', 'memory-exhaustion', 'zone-loss', 'no-wait-flood']) {
    await threeReady();
    const compare = name === 'cpu-exhaustion';
    const { code, out, journal } = await runChaos(t, name, dataDir, compare ? [...SHORT, '--compare'] : undefined);
    if (compare) {
      t.ok(journal.control?.steady_state.steady_state_met, '--compare: the control run (no fault) held its steady state');
      t.same(journal.control!.diff.map((d) => d.probe), journal.experiment.steady_state.probes.map((p) => p.type), '--compare: a difference for every steady-state figure');
      t.ok(journal.control!.diff.every((d) => typeof d.delta === 'number' && d.ok), '--compare: each figure has a numeric delta and holds');
      t.match(out, /control vs experiment:\n\s+figure\s+control\s+experiment\s+delta\s+verdict\n\s+success-rate .* holds \(≥ 99.9 %\)\n\s+p95 .* holds/, '--compare: the printed table, figure by figure, with a verdict on each');
      t.comment(`cpu-exhaustion --compare: ${journal.control!.diff.map((d) => `${d.probe} ${d.control} → ${d.experiment} (Δ ${d.delta})`).join('; ')}`);
    }
    t.comment(`${name}: ${journal.status} ${figures(journal)}`);
    t.equal(journal.status, 'completed', `${name}: ${journal.reasons.join('; ')}`);
    t.equal(code, 0, `${name}: exit 0 on a passed verdict`);
    t.match(out, /verdict: PASSED/);
    t.ok(journal.steady_states.before?.steady_state_met && journal.steady_states.after?.steady_state_met, `${name}: steady state held before and after`);
    t.ok(journal.run.every((r) => r.status === 'succeeded' && r.start && r.end), `${name}: each activity journaled with start, end, status`);
  }

  const events = (await fleet.chaosEvents.recent(200)).map((e) => e.data);
  t.ok(events.some((e) => e.event === 'action-ended' && String(e.activity).startsWith('kill-server')), 'the kill is an event on shoal:chaos:events');
  t.ok(events.filter((e) => e.event === 'verdict').length >= 6, 'each verdict is an event');

  // SIGINT during the method: the fault is lifted by the rollback, the run says interrupted.
  await threeReady();
  const run = startChaos(t, 'http-delay-proxy', dataDir);
  await run.proc.waitForOutput(/http-fault proxy random: succeeded/, 60_000);
  const admin = stack.proxy!.adminUrl;
  t.equal(((await (await fetch(`${admin}/faults`)).json()) as { http: unknown[] }).http.length, 1, 'the fault is in place');
  run.proc.child.kill('SIGINT');
  t.equal(await run.proc.exited(), 1, 'an interrupted run exits 1');
  const journal = JSON.parse(readFileSync(run.journalFile, 'utf8')) as Journal;
  t.equal(journal.status, 'interrupted');
  t.same(journal.rollbacks.map((r) => [r.activity.name, r.status]), [['clear-faults', 'succeeded']], 'the rollback ran after the signal');
  t.same(((await (await fetch(`${admin}/faults`)).json()) as { http: unknown[] }).http, [], 'no fault left on the proxy');

  // The dashboard's Chaos events pane, in a real browser.
  const browser = await launchChromium(t.teardown);
  const page = await browser.newPage();
  await page.goto(stack.dashboard!);
  await page.waitForFunction(() => [...document.querySelectorAll('#chaos li')].some((li) => /verdict/.test(li.textContent ?? '')), undefined, { timeout: 30_000 });
  t.match(await page.locator('#chaos').textContent(), /rollback-ended.*clear-faults|verdict/s, 'the pane lists the chaos events');
  await browser.close();
});
