import { execFileSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { getJson, startBackend, startProxy } from '../fixtures/backend.js';
import { pidAlive } from '../helpers/proc.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(180_000); // a safety net, not a timing: generous for a loaded CI machine

const hostPort = (url: string) => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
};

// Both this process and the proxy hold one descriptor per idle socket: size to the fd limit.
const fdLimit = Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()) || 1024;
const IDLE = Math.min(5000, fdLimit - 500);

t.test(`${IDLE} idle client sockets held open: a normal client is still served`, async (t) => {
  t.comment(`ulimit -n is ${fdLimit}; holding ${IDLE} idle sockets`);
  const r = await testRedis(t.teardown);
  await startBackend(t.teardown, r, 'b1');
  const p = await startProxy(t.teardown, r);
  const sockets: Socket[] = [];
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  const { host, port } = hostPort(p.url);
  for (let i = 0; i < IDLE; i += 250) {
    await Promise.all(
      Array.from({ length: Math.min(250, IDLE - i) }, () => new Promise<void>((resolve, reject) => {
        const s = connect({ host, port });
        s.on('error', reject);
        s.once('connect', () => resolve());
        sockets.push(s);
      })),
    );
  }
  await waitFor(() => sockets.every((s) => !s.destroyed) && sockets.length === IDLE, { what: 'all idle sockets open' });
  const a = await getJson(`${p.url}/echo`);
  t.equal(a.status, 200, 'a normal request is answered');
  t.equal((await p.pool()).members.length, 1, 'the admin port answers too');
  t.equal(sockets.filter((s) => s.destroyed).length, 0, 'the idle sockets are still open (idle timeout is 60 s)');
});

t.test('a client sending headers byte by byte is cut off by the header timeout', async (t) => {
  const r = await testRedis(t.teardown);
  await startBackend(t.teardown, r, 'b1');
  const p = await startProxy(t.teardown, r, ['--header-timeout', '1s', '--request-timeout', '2s']);
  const { host, port } = hostPort(p.url);
  const s = connect({ host, port });
  t.teardown(() => s.destroy());
  let answer = '';
  s.on('data', (d: Buffer) => (answer += d.toString()));
  s.on('error', () => {});
  let closed = false;
  s.once('close', () => (closed = true));
  await new Promise((resolve) => s.once('connect', resolve));
  // 200 header bytes at one per 50 ms would take 10 s: the proxy must hang up long before
  const slow = `GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(160)}\r\n\r\n`;
  let sent = 0;
  const timer = setInterval(() => {
    if (s.destroyed || sent >= slow.length) return clearInterval(timer);
    s.write(slow[sent++]!);
  }, 50);
  t.teardown(() => clearInterval(timer));
  await waitFor(() => closed, { timeoutMs: 8000, what: 'the proxy to close the slow connection' });
  t.ok(sent < slow.length, `cut off after ${sent} of ${slow.length} bytes`);
  t.match(answer, /^HTTP\/1\.1 408/, 'told why: 408 Request Timeout');
  t.equal((await getJson(`${p.url}/echo`)).status, 200, 'others are still served');
});

t.test('aborted clients and resets mid-response never crash the proxy', async (t) => {
  const r = await testRedis(t.teardown);
  const b = await startBackend(t.teardown, r, 'b1');
  const p = await startProxy(t.teardown, r);
  const { host, port } = hostPort(p.url);
  const rawThenKill = (req: string, killWhen: (got: string) => boolean) =>
    new Promise<void>((resolve) => {
      const s = connect({ host, port }, () => s.write(req));
      let got = '';
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (killWhen(got)) s.resetAndDestroy();
      });
      if (killWhen('')) setImmediate(() => s.resetAndDestroy());
    });
  // a held request whose client vanishes; a large body whose client resets halfway; a half-sent body
  await rawThenKill('GET /hold HTTP/1.1\r\nHost: x\r\n\r\n', () => true);
  await rawThenKill('GET /big?bytes=5000000 HTTP/1.1\r\nHost: x\r\n\r\n', (got) => got.length > 100_000);
  await rawThenKill('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc', () => true);
  await waitFor(async () => (await p.pool()).members[0]!.inflight === 0, { what: 'in-flight back to 0' });
  await getJson(`${b.url}/release`);
  t.ok(pidAlive(p.proc.pid), 'proxy still running');
  t.equal((await getJson(`${p.url}/echo`)).status, 200);
  t.notMatch(p.proc.stderr(), /uncaught|unhandled/i);
});
