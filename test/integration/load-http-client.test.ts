import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { HttpSender, type Outcome } from '../../load/http/http-sender.js';
import type { Rendered } from '../../load/request.js';

t.setTimeout(240_000); // a safety net, not a timing: generous for a loaded CI machine // a safety net, not a timing: generous for a loaded CI machine

/** A server that counts the sockets it saw; `handle` answers each request. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse, n: number) => void, tls?: { cert: string; key: string }): Promise<{ url: string; sockets: () => number }> {
  let n = 0;
  let sockets = 0;
  const open = new Set<Socket>();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    handle(req, res, ++n);
  };
  const srv = tls ? createTlsServer(tls, onRequest) : createServer(onRequest);
  srv.on(tls ? 'secureConnection' : 'connection', (s: Socket) => {
    sockets++;
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of open) s.destroy();
    return new Promise<void>((r) => srv.close(() => r()));
  });
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${(srv.address() as AddressInfo).port}`, sockets: () => sockets };
}

function sender(url: string, connections = 2, timeoutMs = 5000): HttpSender {
  const s = new HttpSender(url, { connections, timeoutMs });
  t.teardown(() => s.destroy());
  return s;
}

const get = (path: string, headers: Record<string, string> = {}): Rendered => ({ method: 'GET', path, headers, body: null });
const send = (s: HttpSender, req: Rendered, wantBody = false) => new Promise<Outcome>((resolve) => s.send(req, wantBody, resolve));
const sendAll = (s: HttpSender, reqs: Rendered[], wantBody = false) => Promise.all(reqs.map((r) => send(s, r, wantBody)));

t.test('keep-alive: many requests reuse the few connections; bodies, bytes, statuses', async (t) => {
  const srv = await serve((req, res, n) => res.writeHead(n % 5 === 0 ? 404 : 200, { 'content-type': 'text/plain' }).end(`answer ${req.url}`));
  const s = sender(srv.url, 2);
  const out = await sendAll(s, Array.from({ length: 40 }, (_, i) => get(`/r${i}`)), true);
  t.equal(srv.sockets(), 2, 'two sockets for 40 requests');
  t.same(out.map((o) => o.body?.toString()), Array.from({ length: 40 }, (_, i) => `answer /r${i}`), 'each answer matches its request');
  t.equal(out.filter((o) => o.status === 404).length, 8);
  t.ok(out.every((o) => o.bytes! > 0 && o.endedAt >= o.sentAt));
  t.equal(s.inflight, 0);
});

t.test('POST bodies, a chunked answer, HEAD, and Connection: close answers reconnect', async (t) => {
  const srv = await serve((req, res) => {
    if (req.method === 'HEAD') return res.writeHead(200, { 'content-length': '1000' }).end();
    if (req.url === '/chunked') {
      res.writeHead(200);
      res.write('part one, ');
      return res.end('part two');
    }
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => res.writeHead(201, { connection: 'close' }).end(Buffer.concat(parts)));
  });
  const s = sender(srv.url, 1);
  const posts = await sendAll(s, [1, 2, 3].map((i) => ({ method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: `{"n":${i},"name":"zoë"}` })), true);
  t.same(posts.map((o) => [o.status, o.body?.toString()]), [1, 2, 3].map((i) => [201, `{"n":${i},"name":"zoë"}`]));
  t.equal(srv.sockets(), 3, 'each Connection: close answer cost a new socket');
  const [chunked, head, after] = await sendAll(s, [get('/chunked'), { method: 'HEAD', path: '/', headers: {}, body: null }, get('/chunked')], true);
  t.equal(chunked!.body?.toString(), 'part one, part two');
  t.same([head!.status, head!.body?.length], [200, 0], 'HEAD: no body despite content-length 1000');
  t.equal(after!.body?.toString(), 'part one, part two', 'the connection stayed in step after HEAD');
});

t.test('failures end only their own request: reset, timeout, refused, invalid', async (t) => {
  const srv = await serve((req, res) => {
    if (req.url === '/reset') return req.socket.destroy();
    if (req.url === '/hang') return; // never answers
    res.end('ok');
  });
  const s = sender(srv.url, 2, 300);
  const out = await sendAll(s, [get('/a'), get('/reset'), get('/b'), get('/hang'), get('/c'), get('/bad', { 'x-evil': 'a\r\nx-injected: 1' })]);
  const [a, reset, b, hang, c, bad] = out.map((o) => o.status || o.error);
  t.same([a, b, hang, c, bad], [200, 200, 'SHOAL_ERR_HEADERS_TIMEOUT', 200, 'SHOAL_ERR_INVALID_REQUEST']);
  t.match(reset, /^(SHOAL_ERR_SOCKET_CLOSED|ECONNRESET)$/, 'a connection the server dropped');
  t.equal((await send(s, get('/after'))).status, 200, 'the connections recover');

  // a port nobody listens on
  const free = createNetServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
  const port = (free.address() as AddressInfo).port;
  await new Promise<void>((r) => (free as Server).close(() => r()));
  const refused = sender(`http://127.0.0.1:${port}`, 1);
  t.same((await sendAll(refused, [get('/'), get('/')])).map((o) => o.error), ['ECONNREFUSED', 'ECONNREFUSED']);
});

t.test('https targets: same client over TLS (certificates not verified)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-client-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'k.pem');
  const cert = join(dir, 'c.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=shoal-test'], { stdio: 'ignore' });
  const srv = await serve((_req, res) => res.end('secure'), { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') });
  const s = sender(srv.url, 2);
  const out = await sendAll(s, Array.from({ length: 10 }, () => get('/')), true);
  t.same(new Set(out.map((o) => o.body?.toString())), new Set(['secure']));
  t.equal(srv.sockets(), 2);
});
