import t from 'tap';
import { readFileSync } from 'node:fs';
import { canConnect } from '../../lib/can-connect.js';
import { dataPlanes, getJson, startBackend, startProxy } from '../fixtures/backend.js';
import { testRedis } from '../helpers/redis.js';
import { steadyLoad } from '../helpers/steady-load.js';
import { waitFor } from '../helpers/wait.js';

// What only the HAProxy data plane has to prove: membership changes go through the Runtime
// API without a reload or a failed request, and a HAProxy that dies is back within 2 s.
t.setTimeout(240_000);

const skip = dataPlanes().includes('haproxy') ? false : 'haproxy is not installed (CI installs it)';

t.test('a server joins, drains and leaves 100 times under load: zero failed requests, HAProxy never reloaded', { skip }, async (t) => {
  const r = await testRedis(t.teardown);
  await Promise.all(['b1', 'b2'].map((id) => startBackend(t.teardown, r, id)));
  // the one that comes and goes: a real server, registered by the test under a new id each time
  const guest = await startBackend(t.teardown, undefined, 'guest');
  const p = await startProxy(t.teardown, r, ['--data-plane', 'haproxy']);
  const pid = (await p.pool()).haproxyPid;
  t.ok(pid, `HAProxy runs as pid ${pid}`);
  const applied = (version: number) => waitFor(async () => (await p.pool()).appliedPoolVersion >= version, { timeoutMs: 10_000, intervalMs: 10, what: `pool version ${version} applied` });

  const l = steadyLoad(p.url, 4);
  for (let i = 1; i <= 100; i++) {
    const id = `guest-${i}`;
    await applied((await r.fleet.registry.ready(id, { address: guest.address, provider: 'test', bootId: id, host: 'localhost', instanceId: id })).version!);
    // drained and then gone, as the autoscaler does; the drain's own acknowledgement is the pool suite's
    await r.fleet.registry.draining(id);
    await applied((await r.fleet.registry.exited(id)).version!);
  }
  await l.stop();
  const hits = Number(((await getJson(`${guest.url}/stats`)).body.hits as Record<string, number>)['/echo'] ?? 0);
  t.ok(hits > 0, `the guest served ${hits} requests in its 100 visits`);
  t.equal(l.counts.failed, 0, `all ${l.total()} requests succeeded (${JSON.stringify([...l.counts.statuses])})`);
  const pool = await p.pool();
  t.equal(pool.haproxyPid, pid, 'the same HAProxy process throughout: membership never reloads it');
  t.notMatch(p.proc.stderr(), /haproxy exited/, 'and it never died');
  // the last guests are deleted once their connections close
  await waitFor(async () => (await p.pool()).members.length === 2, { timeoutMs: 30_000, what: 'only b1 and b2 left in the backend' });
});

t.test('HAProxy killed: shoal restarts it, re-applies the pool, and it serves again within 2 s', { skip }, async (t) => {
  const r = await testRedis(t.teardown);
  await Promise.all(['b1', 'b2'].map((id) => startBackend(t.teardown, r, id)));
  const p = await startProxy(t.teardown, r, ['--data-plane', 'haproxy']);
  t.equal((await getJson(`${p.url}/echo`)).status, 200);
  const before = await p.pool();
  process.kill(before.haproxyPid!, 'SIGKILL');
  const killedAt = Date.now();
  await waitFor(
    async () => {
      const a = await getJson(`${p.url}/echo`).catch(() => undefined);
      return a?.status === 200;
    },
    { timeoutMs: 10_000, intervalMs: 20, what: 'HAProxy serving again' },
  );
  const took = Date.now() - killedAt;
  t.ok(took < 2000, `serving again ${took} ms after the kill`);
  const after = await p.pool();
  t.not(after.haproxyPid, before.haproxyPid, 'a new HAProxy process');
  t.same(after.members.map((m) => m.id).sort(), ['b1', 'b2'], 'with the whole pool back');
  t.match(p.proc.stderr(), /haproxy exited; restarting it and re-applying the pool/);
});

t.test('shoal proxy SIGKILLed: its HAProxy dies with it (no orphan holding the port)', { skip }, async (t) => {
  const r = await testRedis(t.teardown);
  await startBackend(t.teardown, r, 'b1');
  const p = await startProxy(t.teardown, r, ['--data-plane', 'haproxy']);
  const pid = (await p.pool()).haproxyPid!;
  t.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /haproxy/, `HAProxy runs as pid ${pid}`);
  // should the test fail, the orphan is still stopped by its pid
  t.teardown(() => {
    if (running(pid)) process.kill(pid, 'SIGKILL');
  });
  // only shoal, not its process group: nothing of shoal's runs after a SIGKILL
  process.kill(p.proc.pid, 'SIGKILL');
  await p.proc.exited();
  await waitFor(() => !running(pid), { timeoutMs: 10_000, what: `HAProxy ${pid} gone after shoal's SIGKILL` });
  t.pass('HAProxy died with shoal');
  const port = Number(new URL(p.url).port);
  t.notOk(await canConnect(port), `nothing answers on ${port} any more`);
});

/** Alive and not a zombie waiting for whoever inherited it to reap it. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
