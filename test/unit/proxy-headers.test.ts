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
  t.same(clientHeaders({ 'content-type': 'a', connection: 'close', 'transfer-encoding': 'chunked', 'set-cookie': ['a=1', 'b=2'] }, 'r'), {
    'content-type': 'a',
    'set-cookie': ['a=1', 'b=2'],
    'x-request-id': 'r',
  });
});

t.test('request id kept when sane, made when absent or odd', async (t) => {
  t.equal(requestIdFor('abc-123'), 'abc-123');
  t.match(requestIdFor(undefined), /^[0-9a-f-]{36}$/);
  t.match(requestIdFor('bad id\n'), /^[0-9a-f-]{36}$/);
  t.match(requestIdFor(['a', 'b']), /^[0-9a-f-]{36}$/);
});
