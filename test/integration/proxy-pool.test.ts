import { request as httpRequest } from 'node:http';
import t from 'tap';
import { dataPlanes, getJson, spread, startBackend, startProxy } from '../fixtures/backend.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

// each subtest starts redis-server, backends and a proxy: seconds each on a busy shared machine
t.setTimeout(400_000);

// The same behaviour on both data planes: shoal's Node proxy, and HAProxy driven by shoal.
for (const plane of dataPlanes()) {
  const dp = ['--data-plane', plane];

  t.test(`${plane}: spreads over 3 servers; forwards headers; follows joins, removals and drains`, async (t) => {
    const r = await testRedis(t.teardown);
    await Promise.all(['b1', 'b2', 'b3'].map((id) => startBackend(t.teardown, r, id)));
    const p = await startProxy(t.teardown, r, dp);

    const seen = await spread(p.url, 60);
    t.same([...seen.keys()].sort(), ['b1', 'b2', 'b3'], 'every server gets requests');
    for (const [id, n] of seen) t.ok(n >= 5, `${id} got ${n} of 60`);

    // node:http, not undici: undici will not put a custom Connection header on the wire
    const a = await nodeGet(`${p.url}/echo?x=1`, { 'x-request-id': 'req-42', 'x-forwarded-for': '203.0.113.7', connection: 'keep-alive, x-hop', 'x-hop': 'secret' });
    const h = a.body.headers as Record<string, string>;
    t.equal(a.body.url, '/echo?x=1');
    t.equal(h['x-request-id'], 'req-42', 'a client request id is kept');
    t.equal(a.headers['x-request-id'], 'req-42', 'and echoed to the client');
    t.equal(h['x-forwarded-for'], '203.0.113.7, 127.0.0.1', 'XFF appended');
    t.equal(h['x-forwarded-proto'], 'http');
    t.match(h['x-forwarded-host'], /^127\.0\.0\.1:\d+$/);
    // HAProxy drops the hop-by-hop headers it knows, not the ones a Connection line names (docs/proxy.md)
    if (plane === 'node') t.equal(h['x-hop'], undefined, 'headers named in Connection are hop-by-hop');
    const made = await getJson(`${p.url}/echo`);
    t.match((made.body.headers as Record<string, string>)['x-request-id'], /^[0-9a-f-]{36}$/, 'a request id is made when absent');
    t.equal(made.headers['x-request-id'], (made.body.headers as Record<string, string>)['x-request-id'], 'and the made one is echoed');
    // an id that is not one sane token (a space; or two of them, which Node joins with ', ') is replaced
    for (const bad of [{ 'x-request-id': 'has space' }, { 'x-request-id': ['req-1', 'req-2'] }]) {
      const b = await nodeGet(`${p.url}/echo`, bad);
      const sent = (b.body.headers as Record<string, string>)['x-request-id'];
      t.match(sent, /^[0-9a-f-]{36}$/, `a bad request id (${JSON.stringify(bad['x-request-id'])}) is replaced with a new one`);
      t.equal(b.headers['x-request-id'], sent, 'which the client gets back');
    }

    await startBackend(t.teardown, r, 'b4');
    const joinedAt = Date.now();
    // what an operator checks: the proxy takes the new server into its pool within 2 s of it
    // registering (pub/sub brings the change in milliseconds), and requests then reach it. The
    // traffic wait is generous: on a loaded CI machine a few slow round trips through p2c, which
    // gives b4 a quarter of the requests at idle, must not read as a late join.
    await waitFor(async () => (await p.pool()).members.some((m) => m.id === 'b4'), { timeoutMs: 10_000, intervalMs: 10, what: 'b4 in the proxy\'s pool' });
    const joinMs = Date.now() - joinedAt;
    // the proxy's warnings (its log level in tests) say why, if it was late
    t.ok(joinMs < 2000, `a new server joins the proxy's pool within 2 s (${joinMs} ms)`, { proxyLog: p.proc.stderr().slice(-3000) });
    await waitFor(async () => (await getJson(`${p.url}/echo`)).body.id === 'b4', { timeoutMs: 10_000, intervalMs: 10, what: 'b4 to get traffic' });

    // a launcher marks a server gone the moment it sees it exit: the proxy follows within 1 s (pub/sub)
    const gone = await r.fleet.registry.exited('b1');
    const goneAt = Date.now();
    await waitFor(async () => (await p.pool()).appliedPoolVersion >= gone.version!, { timeoutMs: 1000, intervalMs: 10, what: 'the proxy to drop b1 within 1 s' }).catch((err: Error) => {
      throw new Error(`${err.message}; the proxy's log: ${p.proc.stderr().slice(-3000)}`);
    });
    t.comment(`b1 out of the proxy's pool ${Date.now() - goneAt} ms after it was marked gone`);
    const after = await spread(p.url, 40);
    t.notOk(after.has('b1'), `a removed server gets nothing (saw ${[...after.keys()].join(',')})`);
  });

  t.test(`${plane}: a draining server finishes what it has, gets nothing new, and the proxy acks the pool version`, async (t) => {
    const r = await testRedis(t.teardown);
    const [b1, b2] = await Promise.all(['b1', 'b2'].map((id) => startBackend(t.teardown, r, id)));
    const p = await startProxy(t.teardown, r, [...dp, '--balancer', 'round-robin']);

    // hold one request open on each server, then drain b1
    const holds = [getJson(`${p.url}/hold`), getJson(`${p.url}/hold`)];
    await waitFor(async () => (await p.pool()).members.every((m) => m.inflight === 1), { what: 'one held request per server' });
    const drained = await r.fleet.registry.draining(b1!.id);
    await waitFor(
      async () => {
        const ps = await r.fleet.proxies.list();
        return ps.length === 1 && ps[0]!.appliedPoolVersion >= drained.version!;
      },
      { what: 'fleet.proxies to show the drain version applied' },
    );
    const pool = await p.pool();
    t.match(pool.members.find((m) => m.id === 'b1'), { state: 'draining', inflight: 1 }, 'b1 is draining with its request still in flight');

    const fresh = await spread(p.url, 20);
    t.same([...fresh.keys()], ['b2'], 'new requests go only to the ready server');

    await getJson(`${b1!.url}/release`);
    await getJson(`${b2!.url}/release`);
    const held = await Promise.all(holds);
    t.same(held.map((h) => h.status), [200, 200], 'the in-flight requests complete');
    t.ok(held.some((h) => h.body.id === 'b1'), 'including the one on the draining server');
  });

  t.test(`${plane}: a pool version below the one applied (Redis lost its data) is a reset, never "already applied"`, async (t) => {
    const r = await testRedis(t.teardown);
    await Promise.all(['b1', 'b2'].map((id) => startBackend(t.teardown, r, id)));
    // no periodic resync to fall back on: only the announcement can bring the change in
    const p = await startProxy(t.teardown, r, [...dp, '--resync-interval', '10m']);
    await waitFor(async () => (await p.pool()).members.filter((m) => m.state === 'ready').length === 2, { what: 'both servers in the pool' });
    const applied = (await p.pool()).appliedPoolVersion;
    // What a Redis failed over to a stale replica looks like: an older version, and in it b1 draining.
    await r.client.hset(r.fleet.keys.server('b1'), 'state', 'draining');
    await r.client.set(r.fleet.keys.poolVersion, '3');
    await r.client.publish(r.fleet.keys.poolChannel, JSON.stringify({ version: 3, id: 'b1', state: 'draining' }));
    const pool = await waitFor(
      async () => {
        const now = await p.pool();
        return now.appliedPoolVersion === 3 && now.members.find((m) => m.id === 'b1')?.state === 'draining' ? now : undefined;
      },
      { timeoutMs: 15_000, what: 'the proxy to read the registry again' },
    );
    t.ok(pool.appliedPoolVersion < applied, `the proxy acknowledges what Redis holds now (3, was ${applied})`);
    const fresh = await spread(p.url, 20);
    t.same([...fresh.keys()], ['b2'], 'and stops sending new requests to the server drained in it');
  });

  // When no ready server passes its /readyz checks (an overloaded machine timing them out, or a
  // dependency every check shares), the proxy routes to them anyway, as an ELB target group
  // fails open, instead of answering 503 to every request. HAProxy does it with unchecked
  // backup twins (docs/proxy.md).
  t.test(`${plane}: every server failing its health checks → requests still served (fail open), until one passes again`, async (t) => {
    const r = await testRedis(t.teardown);
    const b1 = await startBackend(t.teardown, r, 'b1');
    const b2 = await startBackend(t.teardown, r, 'b2');
    const p = await startProxy(t.teardown, r, [...dp, '--health-interval', '100ms', '--health-fall', '2', '--health-rise', '2'], { SHOAL_LOG_LEVEL: 'info' });
    const up = async (id: string) => (await p.pool()).members.find((m) => m.id === id)?.up;
    const logged = (re: RegExp) => p.proc.stderr().split('\n').filter((l) => re.test(l)).length;
    const gauge = async () => /^shoal_proxy_fail_open(?:\{[^}]*\})? (\d)$/m.exec(String((await getJson(`${p.adminUrl}/metrics`)).body.raw))?.[1];
    await waitFor(async () => (await p.pool()).members.length === 2, { what: 'both servers in the pool' });

    await getJson(`${b1.url}/unready`);
    await waitFor(async () => (await up('b1')) === false, { timeoutMs: 15_000, what: 'b1 down by its checks' });
    t.same([...(await spread(p.url, 20)).keys()], ['b2'], 'one server failing its checks: the other takes everything');
    t.equal((await p.pool()).failOpen, false, 'not failing open while a server passes');

    await getJson(`${b2.url}/unready`);
    await waitFor(async () => (await up('b2')) === false, { timeoutMs: 15_000, what: 'b2 down by its checks' });
    const both = await spread(p.url, 40);
    t.same([...both.keys()].sort(), ['b1', 'b2'], `both failing: every request still answered by them (${JSON.stringify(Object.fromEntries(both))})`);
    const open = await p.pool();
    t.equal(open.failOpen, true, '/pool says the proxy fails open');
    t.same(open.members.map((m) => m.id).sort(), ['b1', 'b2'], '/pool lists each server once');
    t.equal(await gauge(), '1', 'and so does shoal_proxy_fail_open');

    await getJson(`${b1.url}/ready`);
    await waitFor(async () => (await up('b1')) === true, { timeoutMs: 15_000, what: 'b1 up again' });
    t.same([...(await spread(p.url, 20)).keys()], ['b1'], 'a server passing again: back to it alone');
    t.equal((await p.pool()).failOpen, false, 'fail open is over');
    t.equal(await gauge(), '0', 'shoal_proxy_fail_open back to 0');
    await waitFor(() => logged(/fail open is over/) === 1, { what: 'the end of fail open logged' });
    t.equal(logged(/routing to them anyway \(fail open\)/), 1, 'its start logged once');
  });

  t.test(`${plane}: no server → 503 with Retry-After and a JSON error body, not a hang`, async (t) => {
    const r = await testRedis(t.teardown);
    const p = await startProxy(t.teardown, r, dp);
    const a = await getJson(`${p.url}/api/v1/music`);
    t.equal(a.status, 503);
    t.equal(a.headers['retry-after'], '1');
    t.match(a.body, { error: { code: 'SHOAL_ERR_NO_UPSTREAM', message: /no app server/ } });
    const offered = await waitFor(async () => (await r.fleet.proxies.list())[0]?.offeredTotal, { what: 'offered total reported' });
    t.equal(offered, 1, 'a 503 still counts as offered demand');
    if (plane === 'node') {
      const m = await getJson(`${p.adminUrl}/metrics`);
      t.match(String(m.body.raw), /shoal_http_requests_total\{status_class="5xx",code="SHOAL_ERR_NO_UPSTREAM",service="proxy",server="[^"]+"\} 1/);
    }
  });
}

function nodeGet(url: string, headers: Record<string, string | string[]>): Promise<{ headers: Record<string, unknown>; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ headers: res.headers, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}
