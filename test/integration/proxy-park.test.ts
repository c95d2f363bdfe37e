import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import t, { type Test } from 'tap';
import { getJson, openEcho, startBackend, startProxy, type ProxyProc } from '../fixtures/backend.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

// Kept-alive clients between requests are parked (proxy/park-idle.ts): node:http's state is
// taken off and the socket waits bare for its next request. What a user would check: the
// connection keeps working (same socket, right answers, pipelining in order), it still
// closes on the keep-alive timeout and at shutdown, and it costs less memory than a
// connection holding node:http's state.

t.setTimeout(180_000);

/** One series' value from the proxy's own /metrics. */
async function metric(p: ProxyProc, series: string): Promise<number> {
  const m = String((await getJson(`${p.adminUrl}/metrics`)).body.raw);
  const [name, label] = series.split('{');
  const v = new RegExp(`${name}\\{${label!.slice(0, -1)}[^}]*\\} (\\S+)`).exec(m)?.[1];
  if (v === undefined) throw new Error(`no ${series} in /metrics`);
  return Number(v);
}

/** Parked sockets. */
const parked = (p: ProxyProc) => metric(p, 'shoal_proxy_waiting_client_sockets{state="parked"}');

/** A raw keep-alive client that collects what it reads. */
class Client {
  got = '';
  constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => (this.got += b.toString('latin1')));
  }

  static open(url: string): Promise<Client> {
    const u = new URL(url);
    const at = { host: u.hostname, port: Number(u.port) };
    return new Promise((resolve, reject) => {
      const s = u.protocol === 'https:' ? tlsConnect({ ...at, rejectUnauthorized: false }, () => resolve(new Client(s))) : connect(at, () => resolve(new Client(s)));
      s.on('error', reject);
    });
  }

  answers(): number {
    return (this.got.match(/HTTP\/1\.1 \d{3}/g) ?? []).length;
  }

  /** Sends requests (several at once: pipelined) and waits for all their answers. */
  async ask(...paths: string[]): Promise<string> {
    const before = this.got.length;
    const expected = this.answers() + paths.length;
    this.socket.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    await waitFor(() => this.answers() >= expected && this.got.endsWith('}'), { what: `answers to ${paths.join(', ')}` });
    return this.got.slice(before);
  }
}

/** Flags for a TLS port with a self-signed certificate for 127.0.0.1. */
function tlsFlags(t: Test): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-park-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [cert, key] = [join(dir, 'c.crt'), join(dir, 'c.key')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=park', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return ['--tls-cert', cert, '--tls-key', key];
}

for (const tls of [false, true]) t.test(`${tls ? 'HTTPS' : 'HTTP'}: a parked kept-alive client goes on being served on the same socket, pipelining in order`, async (t) => {
  const r = await testRedis(t.teardown);
  await startBackend(t.teardown, r, 'b1');
  const p = await startProxy(t.teardown, r, tls ? tlsFlags(t) : []);
  await waitFor(async () => (await p.pool()).members.length === 1, { what: 'the backend in the pool' });

  const c = await Client.open(p.url);
  t.teardown(() => c.socket.destroy());
  const port = c.socket.localPort;
  t.match(await c.ask('/echo?n=1'), /^HTTP\/1\.1 200 .*"url":"\/echo\?n=1"/s, 'first answer');
  for (const n of [2, 3]) {
    await waitFor(async () => (await parked(p)) === 1, { what: 'the idle client parked' });
    t.match(await c.ask(`/echo?n=${n}`), new RegExp(`^HTTP/1\\.1 200 .*"url":"/echo\\?n=${n}"`, 's'), `answer ${n} after being parked`);
  }
  await waitFor(async () => (await parked(p)) === 1, { what: 'the idle client parked again' });
  const both = await c.ask('/echo?n=4', '/echo?n=5');
  t.ok(both.indexOf('n=4') > 0 && both.indexOf('n=4') < both.indexOf('n=5'), 'two pipelined requests after parking: both answered, in order');
  t.equal(c.socket.localPort, port, 'the same connection throughout');
  t.notOk(c.socket.destroyed, 'still open');
});

t.test('a WebSocket connection is never parked: it goes on echoing while an idle client beside it is', async (t) => {
  const r = await testRedis(t.teardown);
  await startBackend(t.teardown, r, 'b1');
  const p = await startProxy(t.teardown, r);
  await waitFor(async () => (await p.pool()).members.length === 1, { what: 'the backend in the pool' });
  const { ws, got } = await openEcho(t.teardown, p.url);
  ws.send('one');
  await waitFor(() => got.length === 1, { what: 'the first echo' });
  const c = await Client.open(p.url);
  t.teardown(() => c.socket.destroy());
  await c.ask('/echo');
  await waitFor(async () => (await parked(p)) === 1, { what: 'the plain idle client parked' });
  t.equal(await parked(p), 1, 'only the plain client is parked, not the WebSocket open since before it');
  ws.send('two');
  await waitFor(() => got.length === 2, { what: 'the second echo' });
  t.same(got, ['b1:one', 'b1:two'], 'the WebSocket still echoes');
});

t.test('a parked socket is closed after the keep-alive timeout, without an answer', async (t) => {
  const r = await testRedis(t.teardown);
  await startBackend(t.teardown, r, 'b1');
  const p = await startProxy(t.teardown, r, ['--idle-timeout', '3s']);
  await waitFor(async () => (await p.pool()).members.length === 1, { what: 'the backend in the pool' });

  const c = await Client.open(p.url);
  t.teardown(() => c.socket.destroy());
  await c.ask('/echo');
  const answered = c.got;
  await waitFor(async () => (await parked(p)) === 1, { what: 'the idle client parked' });
  await waitFor(() => c.socket.readableEnded || c.socket.destroyed, { what: 'the parked socket closed', timeoutMs: 30_000 });
  t.equal(c.got, answered, 'closed quietly: no 408 or other bytes after the answer');
  t.equal(await parked(p), 0, 'no longer parked');
});

t.test('at shutdown, parked clients are closed at once, not waited for', async (t) => {
  const r = await testRedis(t.teardown);
  await startBackend(t.teardown, r, 'b1');
  // timeouts far beyond the stop's grace: only closing the parked clients lets the proxy exit in time
  const p = await startProxy(t.teardown, r, ['--idle-timeout', '120s', '--shutdown-timeout', '120s']);
  await waitFor(async () => (await p.pool()).members.length === 1, { what: 'the backend in the pool' });
  const clients = await Promise.all(Array.from({ length: 20 }, () => Client.open(p.url)));
  t.teardown(() => clients.forEach((c) => c.socket.destroy()));
  await Promise.all(clients.map((c) => c.ask('/echo')));
  await waitFor(async () => (await parked(p)) === 20, { what: 'all 20 idle clients parked' });
  const closed = clients.map((c) => new Promise((resolve) => c.socket.once('close', resolve)));
  t.equal(await p.proc.stop('SIGTERM', 30_000), 0, 'exits 0 (not killed after the 30 s grace)');
  await Promise.all(closed);
  t.pass('every parked client was closed');
});

/** The proxy's RSS in kB. */
function rssKb(p: ProxyProc): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p.proc.pid}/status`, 'utf8'))?.[1]);
}

/**
 * The proxy's RSS in kB, less V8's young generation: that grows under the requests alike in
 * both cases (up to 16 MiB), which would hide the difference per socket.
 */
async function rssLessYoungKb(p: ProxyProc): Promise<number> {
  return rssKb(p) - (await metric(p, 'shoal_nodejs_heap_space_size_total_bytes{space="new"}')) / 1024;
}

/**
 * Memory growth of a fresh proxy per socket (kB) while it holds `n` clients, each after one
 * answered request; with `unfinished`, each has then begun its next request, which keeps
 * node:http's state (a connection in a request is never parked).
 */
async function kbPerSocket(t: Test, n: number, unfinished: boolean): Promise<number> {
  const r = await testRedis(t.teardown);
  await startBackend(t.teardown, r, 'b1');
  const p = await startProxy(t.teardown, r, ['--idle-timeout', '120s', '--header-timeout', '120s', '--request-timeout', '120s', '--max-connections', String(2 * n)]);
  await waitFor(async () => (await p.pool()).members.length === 1, { what: 'the backend in the pool' });
  const before = await rssLessYoungKb(p);
  const clients: Client[] = [];
  t.teardown(() => clients.forEach((c) => c.socket.destroy()));
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => Client.open(p.url)));
    clients.push(...batch);
    await Promise.all(batch.map((c) => c.ask('/echo')));
  }
  if (unfinished) await Promise.all(clients.map((c) => new Promise((resolve) => c.socket.write('GET /echo HTTP/1.1\r\nHost', resolve))));
  // parking (or, for unfinished requests, not) is done by the proxy's next sweep
  await waitFor(async () => (await parked(p)) === (unfinished ? 0 : n), { what: unfinished ? 'none parked' : `all ${n} parked` });
  await waitFor(async () => (await parked(p)) === (unfinished ? 0 : n), { what: 'a sweep later, the same' });
  return ((await rssLessYoungKb(p)) - before) / n;
}

t.test('parked clients cost the proxy less memory than clients holding an HTTP connection', async (t) => {
  const n = 4000;
  const parkedKb = await kbPerSocket(t, n, false);
  const heldKb = await kbPerSocket(t, n, true);
  t.comment(`growth per socket (RSS less the young generation): ${parkedKb.toFixed(1)} kB parked, ${heldKb.toFixed(1)} kB holding node:http's state`);
  // node:http's state is ~5 kB a socket; the margin leaves room for the garbage V8 has not collected yet
  t.ok(parkedKb < heldKb * 0.8, `parked ${parkedKb.toFixed(1)} kB per socket < 0.8 x ${heldKb.toFixed(1)} kB`);
});

t.test('after a burst of kept-alive clients, the quiet proxy gives its heap back and still serves them', async (t) => {
  const n = 4000;
  const r = await testRedis(t.teardown);
  await startBackend(t.teardown, r, 'b1');
  const p = await startProxy(t.teardown, r, ['--idle-timeout', '120s', '--max-connections', String(2 * n)]);
  await waitFor(async () => (await p.pool()).members.length === 1, { what: 'the backend in the pool' });
  const youngAtStart = await metric(p, 'shoal_nodejs_heap_space_size_total_bytes{space="new"}');
  const clients: Client[] = [];
  t.teardown(() => clients.forEach((c) => c.socket.destroy()));
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: 50 }, () => Client.open(p.url)));
    clients.push(...batch);
    await Promise.all(batch.map((c) => c.ask('/echo')));
  }
  const rssAfterBurst = rssKb(p);
  const youngAfterBurst = await metric(p, 'shoal_nodejs_heap_space_size_total_bytes{space="new"}');
  t.ok(youngAfterBurst > youngAtStart, `the burst grew the young generation (${youngAtStart / 2 ** 20} → ${youngAfterBurst / 2 ** 20} MiB)`);
  // Quiet: one compaction a second after the burst, one more once V8 sees the low allocation
  // rate (proxy/quiet-gc-plan.ts). Watched from /proc: a /metrics scrape allocates, and many would keep V8 from shrinking.
  const rssQuiet = await waitFor(() => {
    const kb = rssKb(p);
    return kb <= rssAfterBurst - 8 * 1024 ? kb : undefined;
  }, { what: 'RSS 8 MB below its size after the burst', timeoutMs: 30_000, intervalMs: 500 });
  t.comment(`RSS with ${n} parked clients: ${(rssAfterBurst / 1024).toFixed(0)} MB after the burst, ${(rssQuiet / 1024).toFixed(0)} MB once quiet`);
  t.pass('RSS went down by 8 MB or more');
  await waitFor(async () => (await metric(p, 'shoal_nodejs_heap_space_size_total_bytes{space="new"}')) <= youngAtStart, { what: 'the young generation back to its start size', timeoutMs: 20_000, intervalMs: 2000 });
  t.pass('the young generation is back to its start size');
  t.equal(await parked(p), n, 'every client still connected, parked');
  const again = clients.filter((_, i) => i % 200 === 0);
  const answers = await Promise.all(again.map((c) => c.ask('/echo')));
  t.ok(answers.every((a) => a.startsWith('HTTP/1.1 200')), `${again.length} of the parked clients asked again and got 200`);
});
