import t from 'tap';
import { getJson, openEcho, startBackend, startProxy } from '../fixtures/backend.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(180_000); // a safety net, not a timing: generous for a loaded CI machine

t.test('WebSocket upgrade through the proxy (http-proxy-3), echoed by a server', async (t) => {
  const r = await testRedis(t.teardown);
  await startBackend(t.teardown, r, 'b1');
  const p = await startProxy(t.teardown, r);
  const { ws, got } = await openEcho(t.teardown, p.url);
  ws.send('hello');
  ws.send('again');
  await waitFor(() => got.length === 2, { what: 'two echoes' });
  t.same(got, ['b1:hello', 'b1:again']);
});

t.test('--workers 2: one port, both workers registered, metrics summed, clean SIGTERM', async (t) => {
  const r = await testRedis(t.teardown);
  await Promise.all(['b1', 'b2'].map((id) => startBackend(t.teardown, r, id)));
  const p = await startProxy(t.teardown, r, ['--workers', '2']);
  const statuses = new Set<number>();
  for (let i = 0; i < 40; i++) statuses.add((await getJson(`${p.url}/echo`, { reset: true })).status);
  t.same([...statuses], [200], '40 requests served');
  const proxies = await waitFor(async () => {
    const ps = await r.fleet.proxies.list();
    return ps.length === 2 && ps.reduce((n, x) => n + x.offeredTotal, 0) === 40 ? ps : undefined;
  }, { what: 'both workers to report 40 offered in total' });
  t.same(proxies.map((x) => x.id.split('/').pop()).sort(), ['w1', 'w2']);
  const m = String((await getJson(`${p.adminUrl}/metrics`)).body.raw);
  t.match(m, /shoal_http_requests_total\{status_class="2xx",service="proxy",server="[^"]+"\} 40\b/, 'the primary sums both workers');
  const pool = (await getJson(`${p.adminUrl}/pool`)).body as { workers: { members: unknown[] }[] };
  t.equal(pool.workers.length, 2);
  t.ok(pool.workers.every((w) => w.members.length === 2));
  t.equal(await p.proc.stop('SIGTERM'), 0, 'exits 0');
  await waitFor(async () => (await r.fleet.proxies.list()).length === 0, { what: 'workers to leave the fleet' });
});
