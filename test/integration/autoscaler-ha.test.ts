import t from 'tap';
import { startRedisServer } from '../../lib/redis-server.js';
import { pidAlive } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import { startProxy } from '../fixtures/backend.js';
import { autoscaler, drive, killPid, readyServers, stack, waitReady } from './autoscaler-harness.js';

t.setTimeout(240_000); // a safety net, not a timing: generous for a loaded CI machine

t.test('two autoscalers: only the leader acts; SIGKILL it and the standby adopts the servers, none restarted, no request fails', async (t) => {
  const s = await stack(t.teardown);
  // the traffic is the app servers' /healthz through the proxy (no tables needed): forwarded only on request
  const proxy = await startProxy(t.teardown, s.redis, ['--expose-internal']);
  // a 2 s lock TTL: a busy CI machine must not stall a leader past it and make the test flap
  const flags = ['--min', '2', '--max', '4', '--interval', '2s'];
  const a = await autoscaler(t.teardown, s, flags);
  const b = await autoscaler(t.teardown, s, flags);
  const [leader, standby] = /leading/.test(a.proc.stdout()) ? [a, b] : [b, a];
  t.match(leader.proc.stdout(), /leading \(fencing token \d+\)/);
  t.match(standby.proc.stdout(), /standby/);
  const first = await waitReady(s.fleet, 2);
  t.same(first.map((x) => x.zone).sort(), ['local-a', 'local-b'], 'spread over the zone labels');
  await waitFor(async () => (await proxy.pool()).members.filter((m) => m.up).length === 2, { timeoutMs: 30_000, what: 'the proxy routing to both' });
  await waitFor(async () => (await leader.decisions()).length >= 3, { timeoutMs: 30_000, what: 'three decisions by the leader' });
  t.equal((await s.fleet.registry.list()).length, 2, 'two servers launched in all, not two each');
  t.same(await standby.decisions(), [], 'the standby decides nothing');
  t.equal(await standby.metric('shoal_autoscaler_launched_total'), 0);
  const lock = await s.fleet.leader.current();
  t.equal(lock?.holder, leader.id);

  let ledAt = 0;
  const traffic = drive(proxy.url, 50, 2000, async () => ledAt > 0 && Date.now() - ledAt > 3000);
  const killedAt = Date.now();
  await leader.proc.stop('SIGKILL');
  const m = await standby.proc.waitForOutput(/leading \(fencing token (\d+)\)/);
  ledAt = Date.now();
  t.comment(`standby led ${ledAt - killedAt} ms after the SIGKILL (lock TTL 2 s, renewed every 666 ms)`);
  // the lock lapses ≤ 2 s after the kill and the standby tries every 666 ms; the rest is slack for a busy machine
  t.ok(ledAt - killedAt < 2 * 2000 + 666, 'the standby leads within about the lock TTL');
  t.ok(Number(m[1]) > lock!.token, 'the new leader holds a higher fencing token');
  await waitFor(async () => (await standby.decisions()).length >= 2, { timeoutMs: 30_000, what: 'two decisions by the new leader' });
  const { sent, failed, errors } = await traffic;
  t.equal(failed, 0, `no failed request through the proxy across the failover (${sent} sent) ${errors.join('; ')}`);
  const now = (await s.fleet.registry.list()).filter((x) => x.state !== 'gone');
  t.same(
    now.map((x) => [x.id, x.state, x.bootId, x.instanceId]).sort(),
    first.map((x) => [x.id, 'ready', x.bootId, x.instanceId]).sort(),
    'the same servers, same boot ids and pids: adopted, none restarted',
  );
  for (const srv of first) t.ok(pidAlive(Number(srv.instanceId)), `${srv.id} still runs`);
  t.equal(await standby.metric('shoal_autoscaler_launched_total'), 0, 'the new leader launched nothing');
  t.equal((await s.fleet.leader.current())?.holder, standby.id);
});

t.test('an app server killed: gone at once, replaced at the next tick', async (t) => {
  const s = await stack(t.teardown);
  const a = await autoscaler(t.teardown, s, ['--min', '2', '--max', '4', '--interval', '2s']);
  const [victim, other] = await waitReady(s.fleet, 2);
  killPid(Number(victim!.instanceId));
  const killedAt = Date.now();
  await waitFor(async () => (await s.fleet.registry.get(victim!.id))?.state === 'gone', { intervalMs: 20, what: 'the killed server marked gone' });
  t.comment(`marked gone ${Date.now() - killedAt} ms after the kill (the tick is 2 s)`);
  const replaced = await waitFor(
    async () => {
      const ready = await readyServers(s.fleet);
      return ready.length === 2 && ready.some((x) => x.id === other!.id) && !ready.some((x) => x.id === victim!.id) ? ready : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'a replacement' },
  );
  t.equal(replaced.length, 2);
  const d = (await a.decisions()).find((x) => x.dead.length > 0);
  t.match(d, { action: 'scale-out', launch: 1, dead: [{ id: victim!.id, reason: 'exited' }] }, 'the tick after the exit replaces it');
  t.match(d!.reason, /1 dead \(\S+ exited\)/);
  t.equal(replaced.find((x) => x.id !== other!.id)!.zone, victim!.zone, "the replacement goes to the dead server's zone, the emptiest");
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
