import { connect, type Socket } from 'node:net';
import t from 'tap';
import { request } from 'undici';
import { getJson, startBackend, startProxy, type ProxyProc } from '../fixtures/backend.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

// How `shoal proxy` keeps its memory small with many clients (docs/proxy.md, "Memory"): the
// V8 young generation it caps itself, started the normal way with no node flags, and clients
// that connected but sent nothing, which wait as bare sockets until they speak.

t.setTimeout(120_000);

const MiB = 2 ** 20;

/** The young generation's capacity (both semi-spaces) from the proxy's own /metrics. */
async function youngGenerationBytes(p: ProxyProc): Promise<number> {
  const m = String((await getJson(`${p.adminUrl}/metrics`)).body.raw);
  const v = /shoal_nodejs_heap_space_size_total_bytes\{space="new"[^}]*\} (\d+)/.exec(m)?.[1];
  if (v === undefined) throw new Error('no shoal_nodejs_heap_space_size_total_bytes{space="new"} in /metrics');
  return Number(v);
}

/** Enough answered requests, 32 at a time and some of them large, that an uncapped young generation would grow. */
async function churn(url: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await Promise.all(
      Array.from({ length: 32 }, async (_, j) => {
        const res = await request(`${url}/${j % 4 ? 'echo' : 'big?bytes=200000'}`);
        await res.body.arrayBuffer();
      }),
    );
  }
}

const hostPort = (url: string) => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
};

function open(url: string, onData?: (s: string) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(hostPort(url), () => resolve(s));
    s.on('error', reject);
    if (onData) s.on('data', (b: Buffer) => onData(b.toString('latin1')));
  });
}

t.test('a proxy started without node flags caps its young generation at 2 x 8 MiB under load', async (t) => {
  const r = await testRedis(t.teardown);
  await startBackend(t.teardown, r, 'b1');
  const p = await startProxy(t.teardown, r);
  await waitFor(async () => (await p.pool()).members.length === 1, { what: 'the backend in the pool' });
  await churn(p.url);
  const young = await youngGenerationBytes(p);
  t.ok(young <= 16 * MiB, `young generation ${(young / MiB).toFixed(1)} MiB (Node's own default grows to 32 MiB)`);
});

t.test("a user who sizes the young generation keeps their size: the proxy's cap stands aside", async (t) => {
  const r = await testRedis(t.teardown);
  await startBackend(t.teardown, r, 'b1');
  const p = await startProxy(t.teardown, r, [], { NODE_OPTIONS: '--max-semi-space-size=16' });
  await waitFor(async () => (await p.pool()).members.length === 1, { what: 'the backend in the pool' });
  await churn(p.url);
  const young = await youngGenerationBytes(p);
  t.ok(young > 16 * MiB, `young generation ${(young / MiB).toFixed(1)} MiB: grown past the proxy's cap, up to the user's 2 x 16 MiB`);
});

t.test('a client that connected silently is served once it speaks, answered 408 if it stays silent', async (t) => {
  const r = await testRedis(t.teardown);
  await startBackend(t.teardown, r, 'b1');
  const p = await startProxy(t.teardown, r, ['--header-timeout', '2s']);
  await waitFor(async () => (await p.pool()).members.length === 1, { what: 'the backend in the pool' });

  // two pipelined requests in the first bytes: both answered, in order, on the one connection
  let got = '';
  const talker = await open(p.url, (s) => (got += s));
  t.teardown(() => talker.destroy());
  talker.write('GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /echo?n=2 HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => (got.match(/HTTP\/1\.1 200/g) ?? []).length === 2, { what: 'both answers' });
  t.ok(got.indexOf('n=1') < got.indexOf('n=2'), 'answered in order');

  // one that never says anything is told why and closed after --header-timeout
  let answer = '';
  const silent = await open(p.url, (s) => (answer += s));
  t.teardown(() => silent.destroy());
  await waitFor(() => silent.readableEnded || silent.destroyed, { what: 'the silent client to be closed' });
  t.match(answer, /^HTTP\/1\.1 408 .*SHOAL_ERR_REQUEST_TIMEOUT/s, '408 with the JSON error');
  t.equal((await getJson(`${p.url}/echo`)).status, 200, 'others are still served');
});

t.test('at shutdown, clients that have not spoken are closed at once, not waited for', async (t) => {
  const r = await testRedis(t.teardown);
  // timeouts far beyond the stop's grace: only closing the silent clients lets the proxy exit in time
  const p = await startProxy(t.teardown, r, ['--header-timeout', '120s', '--request-timeout', '120s', '--shutdown-timeout', '120s']);
  const waiting = await Promise.all(Array.from({ length: 20 }, () => open(p.url)));
  t.teardown(() => waiting.forEach((s) => s.destroy()));
  const closed = waiting.map((s) => new Promise((resolve) => s.once('close', resolve)));
  t.equal(await p.proc.stop('SIGTERM', 30_000), 0, 'exits 0 (not killed after the 30 s grace)');
  await Promise.all(closed);
  t.pass('every silent client was closed');
});
