import { connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { getJson, startProxy } from '../fixtures/backend.js';
import { spawnShoal } from '../helpers/proc.js';
import { testDynalite } from '../helpers/dynalite.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

// Malformed and hostile requests at a real `shoal app` and a real `shoal proxy` in front of
// it: each gets its 4xx with the JSON error body and the connection is closed.

t.setTimeout(240_000); // a safety net, not a timing: generous for a loaded CI machine

const r = await testRedis(t.teardown);
const db = await testDynalite(t.teardown);
const app = spawnShoal(t.teardown, [
  'app', '--port', '0', '--redis', r.url, '--prefix', r.prefix, '--dynamodb', db.endpoint, '--table-prefix', 'edges-', '--create-tables',
  '--header-timeout', '1s', '--request-timeout', '2s', '--max-connections', '20',
]);
const appUrl = (await app.waitForOutput(/ready at (http:\/\/\S+)/, 60_000))[1]!;
const proxy = await startProxy(t.teardown, r, ['--header-timeout', '1s', '--request-timeout', '2s', '--health-interval', '200ms']);
await waitFor(async () => (await proxy.pool()).members.some((m) => m.up), { timeoutMs: 20_000, what: 'the app in the proxy pool' });

interface RawAnswer {
  status: number;
  headers: string;
  body: { error?: { code: string; message: string } };
  /** The server closed the connection. */
  closed: boolean;
}

/** Writes `bytes` on a fresh connection (optionally more later) and reads until the server closes. */
function raw(url: string, bytes: string | Buffer, opts: { timeoutMs?: number; onSocket?: (s: Socket) => void } = {}): Promise<RawAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port) }, () => (s.write(bytes), opts.onSocket?.(s)));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('error', () => {});
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no close within ${opts.timeoutMs ?? 10_000} ms; got ${JSON.stringify(got)}`))), opts.timeoutMs ?? 10_000);
    s.on('close', () => {
      clearTimeout(timer);
      const [head = '', body = ''] = got.split('\r\n\r\n');
      let parsed = {};
      try {
        parsed = JSON.parse(body) as object;
      } catch {
        // asserted below
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body: parsed, closed: true });
    });
  });
}

const expect = (t: Test, a: RawAnswer, status: number, code: string | RegExp, what: string) => {
  t.equal(a.status, status, `${what}: ${status}`);
  t.match(a.body.error, { code, message: String }, `${what}: JSON error body`);
  t.ok(a.closed, `${what}: connection closed`);
};

const bigHeaders = `GET /api/v1/music HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
const cases: [name: string, bytes: string, status: number, code: string | RegExp][] = [
  ['garbage request line', 'GARBAGE\r\n\r\n', 400, 'SHOAL_ERR_BAD_REQUEST'],
  ['HTTP/0.9 request line', 'GET /\r\n\r\n', 400, 'SHOAL_ERR_BAD_REQUEST'],
  ['bad header syntax', 'GET / HTTP/1.1\r\nHost x\r\n\r\n', 400, 'SHOAL_ERR_BAD_REQUEST'],
  ['both content-length and chunked', 'POST /api/v1/music HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'SHOAL_ERR_BAD_REQUEST'],
  ['headers over 16 KB', bigHeaders, 431, 'SHOAL_ERR_HEADERS_TOO_LARGE'],
  ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 405, 'SHOAL_ERR_METHOD_NOT_ALLOWED'],
  ['unknown Expect', 'GET /api/v1/music HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n', 417, 'SHOAL_ERR_EXPECTATION_FAILED'],
];

for (const [target, url] of [
  ['app', appUrl],
  ['proxy', proxy.url],
] as const) {
  t.test(`${target}: malformed requests get a JSON 4xx and a closed connection`, async (t) => {
    for (const [name, bytes, status, code] of cases) expect(t, await raw(url, bytes), status, code, name);
  });

  t.test(`${target}: a client that never finishes its headers gets 408 after the header timeout`, async (t) => {
    // slowloris: a request line and one header, then nothing
    const a = await raw(url, 'GET /api/v1/music HTTP/1.1\r\nHost: x\r\n', { timeoutMs: 15_000 });
    expect(t, a, 408, 'SHOAL_ERR_REQUEST_TIMEOUT', 'half-sent headers');
  });

  t.test(`${target}: a body without content-type: application/json is a 415`, async (t) => {
    const body = JSON.stringify({ artist: 'a', title: 't' });
    const none = await raw(url, `POST /api/v1/music HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    t.equal(none.status, 415, 'no content type');
    t.match(none.body.error, { code: 'SHOAL_ERR_UNSUPPORTED_MEDIA_TYPE', message: /content-type: application\/json/ });
    const form = await getJson(`${url}/api/v1/music`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    t.equal(form.status, 415, 'text/plain');
    t.match(form.body, { error: { code: 'SHOAL_ERR_UNSUPPORTED_MEDIA_TYPE' } });
  });
}

t.test('the app answers a body without a content type 415 and closes, even when keep-alive was asked', async (t) => {
  const body = '{"artist":"a","title":"t"}';
  const a = await raw(appUrl, `POST /api/v1/music HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  expect(t, a, 415, 'SHOAL_ERR_UNSUPPORTED_MEDIA_TYPE', 'no content type, keep-alive asked');
});

t.test("the app's /metrics, /healthz and /readyz: 404 through the proxy, 200 direct", async (t) => {
  for (const path of ['/metrics', '/healthz', '/readyz', '/HEALTHZ', '/readyz/', '/metrics?name=x', '/%6detrics']) {
    const a = await getJson(`${proxy.url}${path}`);
    t.equal(a.status, 404, `proxy ${path}`);
    t.match(a.body, { error: { code: 'SHOAL_ERR_ROUTE_NOT_FOUND', message: String } });
  }
  const upgrade = await raw(proxy.url, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  expect(t, upgrade, 404, 'SHOAL_ERR_ROUTE_NOT_FOUND', 'an Upgrade request for /metrics');
  for (const path of ['/metrics', '/healthz', '/readyz']) t.equal((await getJson(`${appUrl}${path}`)).status, 200, `direct ${path}`);
  t.ok((await proxy.pool()).members.every((m) => m.up), "the proxy's own /readyz checks still pass: they go to the app directly");
  t.equal((await getJson(`${proxy.url}/api/v1/music`)).status, 200, 'the API is still served');

  const open = await startProxy(t.teardown, r, ['--expose-internal', '--health-interval', '200ms']);
  await waitFor(async () => (await open.pool()).members.some((m) => m.up), { timeoutMs: 20_000, what: 'the app in the second pool' });
  t.equal((await getJson(`${open.url}/healthz`)).status, 200, '--expose-internal forwards them');
});

t.test('the app caps its connections at --max-connections', async (t) => {
  const u = new URL(appUrl);
  const held: Socket[] = [];
  t.teardown(() => held.forEach((s) => s.destroy()));
  // the proxy's pool holds a few connections too: fill up to the cap, then one more is refused
  let refused = false;
  for (let i = 0; i < 25 && !refused; i++) {
    const s = connect({ host: u.hostname, port: Number(u.port) });
    s.on('error', () => {});
    held.push(s);
    await new Promise((resolve) => s.once('connect', resolve));
    // a refused socket is closed by the server at once; an accepted one answers a request
    refused = await new Promise<boolean>((resolve) => {
      s.once('close', () => resolve(true));
      s.once('data', () => resolve(false));
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    });
  }
  t.ok(refused, 'a connection past the cap is closed');
  t.ok(held.length <= 21, `refused at connection ${held.length} (cap 20, some held by the proxy)`);
  held.forEach((s) => s.destroy());
  await waitFor(async () => (await getJson(`${appUrl}/healthz`)).status === 200, { what: 'served again once connections close' });
});
