import t from 'tap';
import { startRedisServer } from '../../lib/redis-server.js';
import { pidAlive } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { autoscaler, killPid, readyServers, stack, waitReady } from './autoscaler-harness.js';

t.setTimeout(90_000);

t.test('two autoscalers: only the leader acts; kill it and the standby takes over', async (t) => {
  const s = await stack(t.teardown);
  const a = await autoscaler(t.teardown, s, ['--min', '2', '--max', '4']);
  const b = await autoscaler(t.teardown, s, ['--min', '2', '--max', '4']);
  const [leader, standby] = /leading/.test(a.proc.stdout()) ? [a, b] : [b, a];
  t.match(leader.proc.stdout(), /leading \(fencing token \d+\)/);
  t.match(standby.proc.stdout(), /standby/);
  const first = await waitReady(s.fleet, 2);
  await waitFor(async () => (await leader.decisions()).length >= 4, { what: 'four decisions by the leader' });
  t.equal((await s.fleet.registry.list()).length, 2, 'two servers launched in all, not two each');
  t.same(await standby.decisions(), [], 'the standby decides nothing');
  t.equal(await standby.metric('shoal_autoscaler_launched_total'), 0);
  const lock = await s.fleet.leader.current();
  t.equal(lock?.holder, leader.id);

  await leader.proc.stop('SIGKILL');
  const m = await standby.proc.waitForOutput(/leading \(fencing token (\d+)\)/);
  t.ok(Number(m[1]) > lock!.token, 'the new leader holds a higher fencing token');
  for (const srv of first) await waitFor(() => !pidAlive(Number(srv.instanceId)), { what: `${srv.id} exits with its parent` });
  const replaced = await waitFor(
    async () => {
      const ready = await readyServers(s.fleet);
      return ready.length === 2 && ready.every((x) => !first.some((f) => f.id === x.id)) ? ready : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: 'two new servers from the new leader' },
  );
  t.equal(replaced.length, 2);
  t.equal(await standby.metric('shoal_autoscaler_launched_total'), 2, 'the new leader launched them');
  t.equal((await s.fleet.leader.current())?.holder, standby.id);
});

t.test('Redis down: no decision and no action until it is back', async (t) => {
  const s = await stack(t.teardown);
  const a = await autoscaler(t.teardown, s, ['--min', '1', '--max', '3']);
  const [srv] = await waitReady(s.fleet, 1);
  const port = s.redis.server.port;
  await s.redis.server.stop();
  await waitFor(async () => (await a.metric('shoal_autoscaler_held_ticks_total')) >= 1, { what: 'a held tick' });
  const decided = (await a.decisions()).length;
  const launched = await a.metric('shoal_autoscaler_launched_total');
  // The app server dies while Redis is down: nothing may be launched for it yet.
  killPid(Number(srv!.instanceId));
  await waitFor(() => !pidAlive(Number(srv!.instanceId)), { what: 'the app server is dead' });
  await waitFor(async () => (await a.metric('shoal_autoscaler_held_ticks_total')) >= 4, { what: 'three more held ticks' });
  t.equal((await a.decisions()).length, decided, 'no decision while Redis is down');
  t.equal(await a.metric('shoal_autoscaler_launched_total'), launched, 'nothing launched while Redis is down');
  t.match(await (await fetch(`${a.admin}/healthz`)).json(), { ok: true, redis: 'down', role: 'standby' });
  await a.proc.waitForOutput(/Redis unreachable: holding/);

  const again = await startRedisServer({ port });
  t.teardown(() => again.stop());
  const [next] = await waitReady(s.fleet, 1);
  t.not(next!.id, srv!.id, 'after Redis is back, the lost server is replaced');
  t.equal(await a.metric('shoal_autoscaler_launched_total'), launched + 1);
  const after = (await a.decisions()).slice(0, (await a.decisions()).length - decided);
  t.ok(after.length > 0 && after.every((d) => d.at > 0));
  t.match(await (await fetch(`${a.admin}/healthz`)).json(), { redis: 'up', role: 'leader' });
});
