import t from 'tap';
import { compile, render } from '../../load/request.js';

const ctx = { pick: () => undefined, seq: 0 };
const spec = (method: string, headers: Record<string, string> = {}) => ({ name: 'x', class: 'valid' as const, method, path: '/api/v1/music', headers, body: method === 'POST' ? '{}' : null });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('every POST carries a fresh Idempotency-Key, so the proxy may resend it', async (t) => {
  const post = compile('p', spec('POST', { 'content-type': 'application/json' }));
  const a = render(post, ctx).headers['idempotency-key'];
  const b = render(post, ctx).headers['idempotency-key'];
  t.match(a, UUID);
  t.match(b, UUID);
  t.not(a, b, 'one key per request sent, not per template');
  t.equal(render(post, ctx).headers['content-type'], 'application/json');
});

t.test('other methods get none; a key the file gives is kept', async (t) => {
  t.same(render(compile('g', spec('GET')), ctx).headers, {});
  t.notOk('idempotency-key' in render(compile('d', spec('DELETE')), ctx).headers);
  t.same(render(compile('k', spec('POST', { 'Idempotency-Key': 'mine' })), ctx).headers, { 'Idempotency-Key': 'mine' });
  t.ok(compile('g', spec('GET')).fixed, 'a GET with nothing to resolve still renders once');
});
