import t from 'tap';
import { dataPlanes, getJson, startBackend, startProxy } from '../fixtures/backend.js';
import { testRedis } from '../helpers/redis.js';
import { steadyLoad } from '../helpers/steady-load.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(200_000);

// The same behaviour on both data planes: shoal's Node proxy, and HAProxy driven by shoal.
for (const plane of dataPlanes()) {
  const dp = ['--data-plane', plane];

  t.test(`${plane}: SIGKILL one of 3 servers under steady GET load: ≥ 99.9 % succeed`, async (t) => {
    const r = await testRedis(t.teardown);
    const bs = await Promise.all(['b1', 'b2', 'b3'].map((id) => startBackend(t.teardown, r, id)));
    const p = await startProxy(t.teardown, r, dp);
    const l = steadyLoad(p.url, 6);
    await waitFor(() => l.total() >= 300, { timeoutMs: 20_000, what: '300 requests before the kill' });
    await bs[1]!.proc.stop('SIGKILL');
    const atKill = l.total();
    await waitFor(() => l.total() >= atKill + 1500, { timeoutMs: 40_000, what: '1500 requests after the kill' });
    await l.stop();
    const total = l.total();
    t.ok(l.counts.ok / total >= 0.999, `${l.counts.ok} of ${total} succeeded (${JSON.stringify([...l.counts.statuses])})`);
    const pool = await p.pool();
    const dead = pool.members.find((m) => m.id === 'b2');
    t.ok(dead && (!dead.up || dead.ejected), 'the killed server is out of rotation (checks failing or ejected)');
    if (plane === 'node') {
      const m = await getJson(`${p.adminUrl}/metrics`);
      t.match(String(m.body.raw), /shoal_proxy_retries_total\{outcome="retried",[^}]*\} [1-9]/, 'retries are counted');
    }
  });

  t.test(`${plane}: POST is not retried once sent; GET is, to another server`, async (t) => {
    const r = await testRedis(t.teardown);
    const bs = await Promise.all(['b1', 'b2', 'b3'].map((id) => startBackend(t.teardown, r, id)));
    const p = await startProxy(t.teardown, r, [...dp, '--eject-after', '100']);
    const crashes = async () => {
      let n = 0;
      for (const b of bs) n += Number(((await getJson(`${b.url}/stats`)).body.hits as Record<string, number>)['/crash'] ?? 0);
      return n;
    };
    const post = await getJson(`${p.url}/crash`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    t.equal(post.status, 502);
    t.match(post.body, { error: { code: 'SHOAL_ERR_UPSTREAM_FAILED' } });
    t.equal(await crashes(), 1, 'the POST reached exactly one server');

    const get = await getJson(`${p.url}/crash`);
    t.equal(get.status, 502, 'every attempt failed');
    t.equal(await crashes(), 1 + 3, 'the GET was tried on three servers (--max-attempts 3)');
  });

  t.test(`${plane}: --retry-sent off: a GET whose connection broke after it was sent is not resent; one that found no server still is`, async (t) => {
    const r = await testRedis(t.teardown);
    const bs = await Promise.all(['b1', 'b2'].map((id) => startBackend(t.teardown, r, id)));
    const p = await startProxy(t.teardown, r, [...dp, '--eject-after', '100', '--retry-sent', 'off', '--health-interval', '0']);
    const hits = async (path: string) => {
      let n = 0;
      for (const b of bs) n += Number(((await getJson(`${b.url}/stats`)).body.hits as Record<string, number>)[path] ?? 0);
      return n;
    };
    const get = await getJson(`${p.url}/crash`);
    t.equal(get.status, 502);
    t.equal(await hits('/crash'), 1, 'the GET reached exactly one server');

    // b1's port closed while it is still in the pool: a connection refused is retried on b2
    await bs[0]!.proc.stop('SIGKILL');
    for (let i = 0; i < 10; i++) t.equal((await getJson(`${p.url}/echo`)).body.id, 'b2', `request ${i + 1} answered by b2 after b1 refused it`);
  });

  t.test(`${plane}: Redis stopped mid-run: traffic continues on the last known pool, and resumes syncing after`, async (t) => {
    const r = await testRedis(t.teardown);
    await Promise.all(['b1', 'b2'].map((id) => startBackend(t.teardown, r, id)));
    const p = await startProxy(t.teardown, r, [...dp, '--resync-interval', '500ms']);
    t.equal((await getJson(`${p.url}/echo`)).status, 200);
    await r.server.stop();
    await waitFor(async () => (await p.pool()).redis === 'down', { what: 'proxy to notice Redis is down' });
    const l = steadyLoad(p.url, 4);
    await waitFor(() => l.total() >= 400, { timeoutMs: 20_000, what: '400 requests with Redis down' });
    await l.stop();
    t.equal(l.counts.failed, 0, `all ${l.total()} requests served with Redis down`);
    // HAProxy answers 400 requests before the first resync against the stopped Redis has failed: wait for it
    await waitFor(() => /redis unreachable: serving the last known pool/.test(p.proc.stderr()), { timeoutMs: 20_000, what: 'the proxy to log that it serves the last known pool' });
    t.equal(p.proc.stderr().match(/redis unreachable: serving the last known pool/g)?.length, 1, 'logged once');

    await r.restart();
    // the backends' heartbeats re-create their entries in the empty Redis; the proxy resyncs
    await waitFor(async () => (await p.pool()).redis === 'up', { timeoutMs: 10_000, what: 'proxy to resync after Redis returns' });
    await waitFor(async () => (await r.fleet.proxies.list()).length === 1, { timeoutMs: 10_000, what: 'proxy to report again' });
    t.equal((await getJson(`${p.url}/echo`)).status, 200);
  });
}
