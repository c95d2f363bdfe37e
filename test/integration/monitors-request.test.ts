import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import Koa from 'koa';
import { pino } from 'pino';
import t from 'tap';
import { connectRedis, Fleet } from '../../fleet/index.js';
import { RequestMonitor } from '../../monitors/request-monitor.js';
import { testRedis, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(180_000); // a safety net, not a timing: generous for a loaded CI machine

type Teardown = (fn: () => unknown) => void;

function captureLog() {
  const lines: { msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, seen: (re: RegExp) => lines.filter((l) => re.test(l.msg)).length };
}

/** A real Koa server on a free loopback port with the monitor first in its chain. */
async function monitoredServer(teardown: Teardown, r: TestRedis, opts: { intervalMs?: number; flushTimeoutMs?: number } = {}) {
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as { port: number }).port;
  const address = `127.0.0.1:${port}`;
  // the offline-queue-off client the monitor contract asks for
  const client = connectRedis(r.url, { offlineQueue: false, name: 'monitor' });
  teardown(() => client.disconnect());
  if (client.status !== 'ready') await once(client, 'ready');
  const { log, seen } = captureLog();
  const monitor = new RequestMonitor({
    fleet: new Fleet(client, r.prefix),
    address,
    serverId: 'srv-1',
    bootId: 'boot-1',
    intervalMs: opts.intervalMs ?? 100,
    flushTimeoutMs: opts.flushTimeoutMs,
    log,
  });
  teardown(() => monitor.stop());
  let release: () => void = () => {};
  let gate = new Promise<void>((r) => (release = r));
  const app = new Koa();
  app.silent = true; // the 500 route throws on purpose
  app.use(monitor.middleware());
  app.use(async (ctx) => {
    if (ctx.path === '/ok') ctx.body = { ok: true };
    else if (ctx.path === '/redirect') ctx.redirect('/ok');
    else if (ctx.path === '/boom') throw new Error('boom');
    else if (ctx.path === '/hold') {
      await gate;
      ctx.body = 'held';
    } // anything else: Koa's 404
  });
  server.on('request', app.callback());
  monitor.start();
  const base = `http://${address}`;
  return {
    monitor,
    address,
    seen,
    read: () => r.fleet.requests.read(address),
    get: async (path: string) => (await fetch(base + path, { redirect: 'manual' }).then(async (res) => (await res.arrayBuffer(), res))).status,
    openGate() {
      release();
      gate = new Promise<void>((r) => (release = r));
    },
    base,
  };
}

// 10 requests: 5 × 2xx, 1 × 3xx, 3 × 4xx, 1 × 5xx
const MIX = ['/ok', '/ok', '/missing', '/ok', '/redirect', '/ok', '/missing', '/boom', '/ok', '/nope'];

async function sendMix(get: (p: string) => Promise<number>, rounds: number): Promise<number> {
  for (let i = 0; i < rounds; i++) await Promise.all(MIX.map((p) => get(p)));
  return rounds * MIX.length;
}

const classesTimes = (k: number) => ({ s2xx: 5 * k, s3xx: k, s4xx: 3 * k, s5xx: k });

t.test('totals are exact: after N requests, across a Redis restart, and after a write whose reply was lost', async (t) => {
  const r = await testRedis(t.teardown);
  const s = await monitoredServer(t.teardown, r, { intervalMs: 100, flushTimeoutMs: 300 });

  let n = await sendMix(s.get, 4);
  await waitFor(async () => (await s.read())?.total === n, { what: `total ${n}` });
  t.match(await s.read(), { total: 40, ...classesTimes(4), serverId: 'srv-1', bootId: 'boot-1', inflight: 0 }, 'N requests, counted by class');

  // Redis goes down and comes back empty (no persistence) while the app keeps serving.
  const [unreachable, recovered] = [s.seen(/unreachable/), s.seen(/reachable again/)];
  await r.server.stop();
  const beforeOutage = n;
  n += await sendMix(s.get, 5);
  await waitFor(() => s.seen(/unreachable/) === unreachable + 1, { what: 'a flush failing' });
  n += await sendMix(s.get, 5);
  t.equal(s.monitor.inflight, 0);
  await r.restart(); // starts redis-server again on the same port
  n += await sendMix(s.get, 5);
  t.ok(n - beforeOutage >= 100, `${n - beforeOutage} requests served while Redis was down or restarting`);
  await waitFor(async () => (await s.read())?.total === n, { what: `total ${n} after the restart`, timeoutMs: 15_000 });
  t.match(await s.read(), { total: n, ...classesTimes(n / 10) }, 'the first flush after reconnect carries everything');
  t.equal(s.seen(/unreachable/), unreachable + 1, 'the outage is logged once');
  await waitFor(() => s.seen(/reachable again/) === recovered + 1, { what: 'recovery logged' });

  // A write whose reply is lost: CLIENT PAUSE WRITE holds the monitor's pipeline on the
  // server; the monitor gives up on it after 300 ms, while the server applies it later.
  const abandoned = s.seen(/no reply/);
  await r.client.call('CLIENT', 'PAUSE', '20000', 'WRITE');
  n += await sendMix(s.get, 3);
  await waitFor(() => s.seen(/no reply/) > abandoned, { what: 'a flush abandoned' });
  n += await sendMix(s.get, 2);
  t.equal((await s.read())?.total, n - 50, 'while paused Redis still holds the totals from before the pause');
  await r.client.call('CLIENT', 'UNPAUSE');
  await waitFor(async () => (await s.read())?.total === n, { what: `total ${n} after the pause` });
  // let several more flushes land (the late replies and fresh ones): still exact, never doubled
  const at = (await s.read())!.updatedAt;
  await waitFor(async () => ((await s.read())?.updatedAt ?? 0) >= at + 300, { what: 'three more flushes' });
  t.match(await s.read(), { total: n, ...classesTimes(n / 10), inflight: 0 }, `still exactly ${n}`);

  await s.monitor.stop();
  t.equal((await s.read())?.total, n, 'stop() writes the final totals');
});

t.test('in-flight is visible while a request is held open; an aborted client is counted once', async (t) => {
  const r = await testRedis(t.teardown);
  const s = await monitoredServer(t.teardown, r);

  const held = fetch(`${s.base}/hold`).then((res) => res.text());
  await waitFor(async () => (await s.read())?.inflight === 1, { what: 'inflight 1 in Redis' });
  t.equal(s.monitor.inflight, 1);
  s.openGate();
  t.equal(await held, 'held');
  await waitFor(async () => {
    const h = await s.read();
    return h?.inflight === 0 && h.total === 1 && h.s2xx === 1;
  }, { what: 'completed request' });

  // a client that gives up while the handler still works
  const req = httpRequest(`${s.base}/hold`);
  req.on('error', () => {});
  req.end();
  await waitFor(() => s.monitor.inflight === 1, { what: 'second request in flight' });
  req.destroy();
  await waitFor(() => s.monitor.inflight === 0, { what: 'aborted request leaves in-flight' });
  s.openGate(); // the handler finishes after its client left
  await s.get('/ok');
  await waitFor(async () => (await s.read())?.total === 3, { what: 'total 3' });
  const h = await s.read();
  t.equal(h?.inflight, 0, 'decremented exactly once');
  t.equal(s.monitor.inflight, 0);
  t.equal(h!.s2xx + h!.s3xx + h!.s4xx + h!.s5xx, 3, 'the aborted request counted with the status it had');
});

t.test('windowed rate and latency while load runs; one pipeline per flush, not a round trip per request', async (t) => {
  const r = await testRedis(t.teardown);
  await r.client.config('RESETSTAT');
  const began = Date.now();
  const s = await monitoredServer(t.teardown, r, { intervalMs: 200 });

  // load runs until a reading has been seen during it, and for at least 400 requests
  let seenLive = false;
  let sent = 0;
  const load = (async () => {
    while ((!seenLive || sent < 400) && sent < 20_000) {
      sent += 4;
      await Promise.all([s.get('/ok'), s.get('/ok'), s.get('/missing'), s.get('/ok')]);
    }
  })();
  const live = await waitFor(async () => {
    const h = await s.read();
    return h && h.rps > 0 ? h : undefined;
  }, { what: 'a reading while load runs' });
  seenLive = true;
  t.ok(live.rps > 0, `rps ${live.rps} while load runs`);
  t.ok(live.p50Ms > 0 && live.p95Ms >= live.p50Ms, `p50 ${live.p50Ms} ms, p95 ${live.p95Ms} ms`);
  t.equal(live.bootId, 'boot-1');
  await load;
  const N = sent;
  await waitFor(async () => (await s.read())?.total === N, { what: `total ${N}` });
  const elapsed = Date.now() - began;

  const stats = await r.client.info('commandstats');
  const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  const hsets = calls('hset');
  t.ok(hsets >= 1, `${hsets} HSETs`);
  t.ok(hsets <= Math.ceil(elapsed / 200) + 2, `${hsets} HSETs ≈ one per 200 ms flush over ${elapsed} ms`);
  t.ok(hsets < N / 4, `${hsets} HSETs for ${N} requests`);
  t.equal(calls('expire'), hsets, 'each flush is one HSET + EXPIRE pipeline');
});
