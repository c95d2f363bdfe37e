import { randomUUID } from 'node:crypto';
import t from 'tap';
import type { Fleet, Server } from '../../fleet/index.js';
import { pidAlive } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { autoscaler, drive, readyServers, stack, waitReady } from './autoscaler-harness.js';

t.setTimeout(240_000); // a safety net, not a timing: generous for a loaded CI machine

/**
 * Plays a proxy's part in the drain protocol through the fleet: applies each pool version
 * before acknowledging it, sends only to ready servers, one request at a time (~5 req/s),
 * and reports what it offered as the demand signal.
 */
function proxyLike(fleet: Fleet) {
  const id = `test-proxy-${randomUUID().slice(0, 6)}`;
  const bootId = randomUUID();
  let running = true;
  const result = { sent: 0, failed: 0, errors: [] as string[] };
  const done = (async () => {
    let pool: Server[] = [];
    let lastSync = 0;
    let i = 0;
    while (running) {
      if (Date.now() - lastSync >= 150) {
        const version = await fleet.registry.poolVersion();
        pool = await readyServers(fleet);
        await fleet.proxies.report({ id, address: '', adminAddress: '', heartbeatAt: Date.now(), appliedPoolVersion: version, offeredTotal: result.sent, servedTotal: result.sent - result.failed, offeredRps: 0, servedRps: 0, bootId });
        lastSync = Date.now();
      }
      const s = pool[i++ % Math.max(1, pool.length)];
      if (s) {
        result.sent++;
        try {
          const res = await fetch(`http://${s.address}/healthz`);
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
        } catch (err) {
          result.failed++;
          result.errors.push(`${s.id}: ${(err as Error).message}`);
        }
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    await fleet.proxies.remove(id);
  })();
  return {
    result,
    async stop() {
      running = false;
      await done;
      return result;
    },
  };
}

t.test('load over the target scales out; when it goes, servers are drained first, then terminated', async (t) => {
  const s = await stack(t.teardown);
  const scaler = await autoscaler(t.teardown, s, ['--min', '1', '--max', '3', '--target-rps', '10']);
  t.match(scaler.proc.stdout(), /leading \(fencing token \d+\)/);
  const [first] = await waitReady(s.fleet, 1);
  t.equal(first!.provider, 'local');
  t.ok(pidAlive(Number(first!.instanceId)), 'the app server is a live child process');

  // 40 req/s at the one server, 4× its target: bounded, stops once the fleet has grown.
  const load = await drive(`http://${first!.address}`, 40, 1200, async () => (await readyServers(s.fleet)).length >= 3);
  t.equal(load.failed, 0, 'no request failed during the scale-out');
  const ready = await waitReady(s.fleet, 3);
  t.equal(ready.length, 3, 'scaled out to the maximum, every new server ready');
  const oldestFirst = async () => (await scaler.decisions()).reverse();
  const outs = (await oldestFirst()).filter((d) => d.action === 'scale-out' && d.rule !== 'min');
  t.equal(outs.reduce((n, d) => n + d.acted.launched.length, 0), 2, 'two servers launched for the load');
  t.match(outs[0]!.reason, /^scale out 1 → \d/);
  t.ok(outs.every((d) => d.explanation.metrics[0]!.metric === 'rps'));

  // The load is gone; a proxy-like client keeps a trickle going through the live pool.
  const proxy = proxyLike(s.fleet);
  await waitFor(async () => (await readyServers(s.fleet)).length === 1 && (await s.fleet.registry.list()).filter((x) => x.state === 'gone').length === 2, {
    timeoutMs: 40_000,
    intervalMs: 200,
    what: 'scale-in to one server',
  });
  const trickle = await proxy.stop();
  t.ok(trickle.sent > 0, `the trickle sent ${trickle.sent} requests during the scale-in`);
  t.same(trickle.errors, [], 'no request failed on a server being removed');

  const gone = (await s.fleet.registry.list()).filter((x) => x.state === 'gone');
  for (const g of gone) await waitFor(() => !pidAlive(Number(g.instanceId)), { what: `${g.id} exited` });
  const ins = (await oldestFirst()).filter((d) => d.action === 'scale-in');
  t.same(ins.flatMap((d) => d.acted.draining).sort(), gone.map((g) => g.id).sort(), 'the removed servers are the ones the decisions drained');
  t.match(ins[0]!.reason, /^scale in 3 → 2, remove \S+: rps: ceil\(/);
  // the exit marks a server gone at once; the drain's own count follows when terminate returns
  await waitFor(async () => (await scaler.metric('shoal_autoscaler_terminated_total')) >= 2, { what: 'both terminations counted' });
  t.equal(await scaler.metric('shoal_autoscaler_terminated_total{how="drained",'), 2, 'both drained before termination, none by timeout');
  const stream = await s.fleet.decisions.recent(50);
  t.ok(stream.some((e) => e.data.action === 'scale-in'), 'the decision is on the fleet event stream');
  const state = await waitFor(async () => {
    const st = await s.fleet.autoscaler.read();
    return st?.actual === 1 ? st : undefined;
  }, { what: 'the recorded state to catch up' });
  t.match(state, { min: 1, max: 3, targetRps: 10, desired: 1, actual: 1, leaderId: scaler.id });

  t.equal(await scaler.proc.stop('SIGTERM'), 0, 'SIGTERM: clean exit');
  const last = (await readyServers(s.fleet))[0];
  // app servers are not tied to the autoscaler's life: the next one adopts them
  if (last) t.ok(pidAlive(Number(last.instanceId)), 'its app server keeps serving after the autoscaler stops');
});

t.test('--dry-run decides and records, but acts on nothing', async (t) => {
  const s = await stack(t.teardown);
  const scaler = await autoscaler(t.teardown, s, ['--min', '2', '--max', '4', '--target-rps', '10', '--dry-run']);
  t.match(scaler.proc.stdout(), /\(dry run\)/);
  const decisions = await waitFor(async () => {
    const d = await scaler.decisions();
    return d.length >= 4 ? d : undefined;
  }, { what: 'four decisions' });
  for (const d of decisions) t.match(d, { dryRun: true, rule: 'min', desired: 2, launch: 2, acted: { launched: [], draining: [], markedGone: [] } });
  t.same(await s.fleet.registry.list(), [], 'no server was launched');
  t.match(await s.fleet.autoscaler.read(), { desired: 2, actual: 0 });
  t.match((await s.fleet.decisions.recent(1))[0]?.data, { dryRun: true, rule: 'min' });
  t.equal(await scaler.metric('shoal_autoscaler_launched_total'), 0);
});
