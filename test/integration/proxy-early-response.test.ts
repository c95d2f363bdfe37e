import { connect } from 'node:net';
import { Readable } from 'node:stream';
import t from 'tap';
import { Agent, Client, request } from 'undici';
import { startApp } from '../../app/server.js';
import { generate } from '../../fuzzer/generate.js';
import { cleanupFixtures, prepareFixtures } from '../../load/fixtures.js';
import { compile, render } from '../../load/request.js';
import { Prng } from '../../fuzzer/prng.js';
import { createLogger } from '../../lib/log.js';
import { getJson, startProxy } from '../fixtures/backend.js';
import { testDynalite } from '../helpers/dynalite.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

// The real app answers some requests before it has read their body (413 over the body limit,
// 415 for a wrong content type) and closes the connection. Through the proxy the client must
// get that same answer at once — not a 502, and not a hang on the next request of its
// keep-alive connection.

t.setTimeout(240_000); // a safety net, not a timing: generous for a loaded CI machine

const log = createLogger('test', 'silent');
const redis = await testRedis(t.teardown);
const db = await testDynalite(t.teardown);
const app = await startApp(
  { port: 0, auth: 'off', redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: db.endpoint }, tablePrefix: 'early-', createTables: true },
  { log },
);
t.teardown(() => app.close());
const proxy = await startProxy(t.teardown, redis);
await waitFor(async () => (await proxy.pool()).members.some((m) => m.up), { what: 'the proxy to route to the app' });

// Well under the 10 s a client would wait: a hang shows up as a timeout error, not a slow pass.
const CLIENT_TIMEOUT = { headersTimeout: 8000, bodyTimeout: 8000 };
const JSON_TYPE = { 'content-type': 'application/json' };
const TWO_MIB = 2 * 1024 * 1024;

function* chunks(total: number, size = 32 * 1024): Generator<Buffer> {
  for (let sent = 0; sent < total; sent += size) yield Buffer.alloc(Math.min(size, total - sent), 0x20);
}

interface Case {
  name: string;
  status: number;
  code: string;
  opts: () => { headers: Record<string, string>; body: string | Buffer | Readable };
}

const CASES: Case[] = [
  { name: '2 MiB body with a content-length', status: 413, code: 'SHOAL_ERR_BODY_TOO_LARGE', opts: () => ({ headers: JSON_TYPE, body: Buffer.alloc(TWO_MIB, 0x20) }) },
  { name: '2 MiB chunked body', status: 413, code: 'SHOAL_ERR_BODY_TOO_LARGE', opts: () => ({ headers: JSON_TYPE, body: Readable.from(chunks(TWO_MIB)) }) },
  { name: 'text/plain body', status: 415, code: 'SHOAL_ERR_UNSUPPORTED_MEDIA_TYPE', opts: () => ({ headers: { 'content-type': 'text/plain' }, body: '{"artist":"a","title":"b"}' }) },
  { name: 'large text/plain body', status: 415, code: 'SHOAL_ERR_UNSUPPORTED_MEDIA_TYPE', opts: () => ({ headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(256 * 1024, 0x61) }) },
  { name: 'malformed JSON', status: 400, code: 'SHOAL_ERR_MALFORMED_JSON', opts: () => ({ headers: JSON_TYPE, body: '{"artist":' }) },
];

async function post(url: string, c: Case, dispatcher?: Agent | Client) {
  const res = await request(`${url}/api/v1/music`, { method: 'POST', ...c.opts(), ...CLIENT_TIMEOUT, ...(dispatcher ? { dispatcher } : {}) });
  const body = (await res.body.json()) as { error?: { code?: string } };
  return { status: res.statusCode, code: body.error?.code, connection: res.headers.connection };
}

t.test('every early error answer from the app comes through the proxy unchanged, before the client times out', async (t) => {
  for (const c of CASES) {
    const direct = await post(app.url, c);
    t.same([direct.status, direct.code], [c.status, c.code], `${c.name}: the app's own answer`);
    // several times: whether the proxy is still writing the body when the app closes is a race
    for (let i = 0; i < 3; i++) {
      const via = await post(proxy.url, c);
      t.same([via.status, via.code], [c.status, c.code], `${c.name} through the proxy (#${i + 1})`);
    }
  }
  const m = String((await getJson(`${proxy.adminUrl}/metrics`)).body.raw);
  t.notMatch(m, /shoal_proxy_upstream_errors_total\{/, 'no early answer counted as a failed upstream attempt');
  t.notMatch(m, /shoal_proxy_retries_total\{/, 'and none went through the retry decision');
  t.notMatch(m, /shoal_http_requests_total\{status_class="5xx",[^}]*\} [1-9]|code="SHOAL_ERR_/, 'no 5xx and no proxy-made answer');
});

t.test('a keep-alive connection stays usable after an early answer: the next request is served', async (t) => {
  const client = new Client(proxy.url, { pipelining: 1, connections: 1 } as Client.Options);
  t.teardown(() => client.close());
  const good: Case = { name: 'valid song', status: 201, code: '', opts: () => ({ headers: JSON_TYPE, body: '{"artist":"Nina Simone","title":"Sinnerman"}' }) };
  for (const c of [CASES[0]!, CASES[4]!, CASES[1]!, CASES[2]!, CASES[3]!, good]) {
    const a = await post(proxy.url, c, client);
    t.equal(a.status, c.status, `${c.name}, on the same client`);
  }
});

t.test('an upload the app refused early: 413 with Connection: close, then the proxy closes the socket', async (t) => {
  const { hostname, port } = new URL(proxy.url);
  const s = connect({ host: hostname, port: Number(port) });
  t.teardown(() => s.destroy());
  s.on('error', () => {});
  let answer = '';
  s.on('data', (d: Buffer) => (answer += d.toString()));
  let closed = false;
  s.once('close', () => (closed = true));
  await new Promise((resolve) => s.once('connect', resolve));
  // declares 2 MiB, sends 100 KiB and then nothing: the rest of the upload never comes
  s.write(`POST /api/v1/music HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${TWO_MIB}\r\n\r\n`);
  s.write(Buffer.alloc(100 * 1024, 0x20));
  await waitFor(() => /\r\n\r\n\{.*\}$/s.test(answer), { timeoutMs: 8000, what: 'the answer' });
  t.match(answer, /^HTTP\/1\.1 413 /);
  t.match(answer, /\r\nconnection: close\r\n/i, 'the client is told the connection ends');
  t.match(answer, /"code":"SHOAL_ERR_BODY_TOO_LARGE"/);
  await waitFor(() => closed, { timeoutMs: 8000, what: 'the proxy to close the connection instead of waiting for the rest of the body' });
  t.pass('the proxy closed the connection');
});

/**
 * One upload as many clients send it: the head and the whole 2 MiB body first (in 64 KiB
 * writes a few ms apart), reading the answer only once the body is written (or the write failed). Resolves when the answer is
 * read to its last byte, or with what was read and the socket's error when it closed first.
 */
function upload(url: string): Promise<{ answer: string; error: string | undefined }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: hostname, port: Number(port) });
    const t0 = Date.now();
    let answer = '';
    let error: string | undefined;
    const whole = () => {
      const m = /\r\ncontent-length: (\d+)\r\n[^]*?\r\n\r\n/i.exec(answer);
      return m !== null && answer.length >= m.index + m[0].length + Number(m[1]);
    };
    s.pause();
    s.on('data', (d: Buffer) => {
      answer += d.toString();
      if (whole()) {
        s.destroy();
        resolve({ answer, error: undefined });
      }
    });
    s.on('error', (err: NodeJS.ErrnoException) => (error ??= err.code ?? err.message));
    s.on('close', () => resolve({ answer, error: error ?? `closed after ${Date.now() - t0} ms` }));
    s.setTimeout(8000, () => s.destroy());
    s.once('connect', () => {
      s.write(`POST /api/v1/music HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${TWO_MIB}\r\n\r\n`);
      // slowly enough that the app's 413 comes back before the upload is done; no end(): a
      // half-close reads to Node as the client giving up on its request
      const gen = chunks(TWO_MIB, 64 * 1024);
      const next = (err?: Error | null) => {
        const c = gen.next();
        if (err || c.done) return s.resume();
        s.write(c.value, (e) => setTimeout(next, 5, e));
      };
      next();
    });
  });
}

t.test('a client that reads only after sending its upload gets the 413 in full, every time (no reset under it)', async (t) => {
  const bad: string[] = [];
  for (let i = 0; i < 20; i++) {
    const { answer, error } = await upload(proxy.url);
    if (!/^HTTP\/1\.1 413 [^]*"code":"SHOAL_ERR_BODY_TOO_LARGE"/.test(answer) || error) bad.push(`#${i + 1}: ${error}, read ${answer.length} bytes`);
  }
  t.same(bad, [], '20 uploads in a row, each answered 413 and read to its last byte');
});

t.test('every invalid fuzzer template gets a 4xx through the proxy, never a 5xx', async (t) => {
  const seen = new Map<string, ReturnType<typeof compile>>();
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    for (const tpl of generate({ target: proxy.url, seed, count: 80 }).templates) {
      if (tpl.class === 'invalid') seen.set(JSON.stringify([tpl.method, tpl.path, tpl.headers, tpl.body]), compile(tpl.id, tpl));
    }
  }
  const fixtures = await prepareFixtures(proxy.url, new Set(['song', 'user', 'playlist']), log);
  t.teardown(() => cleanupFixtures(proxy.url, fixtures, log));
  const rng = new Prng(1);
  const pick = (k: 'song' | 'user' | 'playlist') => fixtures.pools[k][Math.floor(rng.next() * fixtures.pools[k].length)];
  // two keep-alive connections shared by every request, as a load generator would: one
  // request's unread body must not stall the next on the same connection
  const agent = new Agent({ connections: 2 });
  t.teardown(() => agent.close());
  const bad: string[] = [];
  for (let round = 0; round < 2; round++) {
    for (const req of seen.values()) {
      const r = render(req, { pick, seq: 0 });
      const res = await request(proxy.url + r.path, { method: r.method as 'GET', headers: r.headers, body: r.body ?? undefined, dispatcher: agent, ...CLIENT_TIMEOUT });
      await res.body.dump();
      if (res.statusCode < 400 || res.statusCode >= 500) bad.push(`${res.statusCode} ${req.name}: ${r.method} ${r.path.slice(0, 80)}`);
    }
  }
  t.ok(seen.size >= 40, `${seen.size} distinct invalid requests, sent twice`);
  t.same(bad, [], 'all refused with a 4xx');
});
