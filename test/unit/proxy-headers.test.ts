import t from 'tap';
import { clientHeaders, requestIdFor, upstreamHeaders } from '../../proxy/headers.js';

const f = { remoteAddress: '10.0.0.9', proto: 'https' as const, requestId: 'rid-1' };

t.test('upstream headers: hop-by-hop stripped, X-Forwarded-* set, XFF appended', async (t) => {
  const raw = ['Host', 'api.example', 'Connection', 'keep-alive, X-Secret', 'X-Secret', 'x', 'Keep-Alive', '5', 'TE', 'trailers', 'Upgrade', 'h2c',
    'X-Forwarded-For', '1.2.3.4', 'X-Forwarded-Proto', 'http', 'X-Request-Id', 'forged', 'Accept', 'a', 'Content-Length', '3', 'Content-Length', '3'];
  const out = upstreamHeaders(raw, 'keep-alive, X-Secret', f);
  const pairs: Record<string, string[]> = {};
  for (let i = 0; i < out.length; i += 2) (pairs[out[i]!.toLowerCase()] ??= []).push(out[i + 1]!);
  t.same(pairs, {
    host: ['api.example'],
    accept: ['a'],
    'content-length': ['3'],
    'x-forwarded-for': ['1.2.3.4, 10.0.0.9'],
    'x-forwarded-proto': ['https'],
    'x-request-id': ['rid-1'],
    'x-forwarded-host': ['api.example'],
  });
});

t.test('client headers: hop-by-hop stripped, request id added', async (t) => {
  const raw = (...l: string[]) => l.map((x) => Buffer.from(x, 'latin1'));
  t.same(
    clientHeaders(raw('Content-Type', 'a', 'Connection', 'close', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'X-Request-Id', 'theirs'), 'r', false),
    ['Content-Type', 'a', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'x-request-id', 'r'],
    'duplicates and spelling kept, the server cannot set the request id',
  );
  t.same(
    clientHeaders(raw('Connection', 'keep-alive, X-Hop', 'X-Hop', 'secret', 'Keep-Alive', 'timeout=5', 'ETag', '"1"'), 'r', true),
    ['ETag', '"1"', 'x-request-id', 'r', 'connection', 'close'],
    'headers the Connection line names are dropped; close is added when asked',
  );
  t.same(clientHeaders(raw('X-Latin', 'caf\xe9'), 'r', false)[1], 'caf\xe9', 'values pass byte for byte (latin1)');
});

t.test('request id kept when sane, made when absent or odd', async (t) => {
  t.equal(requestIdFor('abc-123'), 'abc-123');
  t.match(requestIdFor(undefined), /^[0-9a-f-]{36}$/);
  t.match(requestIdFor('bad id\n'), /^[0-9a-f-]{36}$/);
  t.match(requestIdFor(['a', 'b']), /^[0-9a-f-]{36}$/);
  const ids = new Set(Array.from({ length: 1000 }, () => requestIdFor(undefined)));
  t.equal(ids.size, 1000, 'new ids do not repeat');
  t.match([...ids][0], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'and are UUID v4 shaped');
});
