import t from 'tap';
import { fingerprint } from '../../app/http/idempotency.js';
import { classify, type IdempotencyRecord } from '../../app/store/idempotency.js';

const NOW = 1_800_000_000_000;
const rec = (o: Partial<IdempotencyRecord>): IdempotencyRecord => ({
  id: 'k',
  fingerprint: 'f',
  state: 'pending',
  token: 't',
  seed: 's',
  leaseUntil: NOW + 5000,
  expiresAt: NOW / 1000 + 3600,
  ...o,
});
const answer = { status: 201, headers: { 'content-type': 'application/json' }, body: '{}' };

t.test('what a stored record means for a request', async (t) => {
  const cases: [name: string, r: IdempotencyRecord | undefined, fp: string, want: string][] = [
    ['no record: claim it', undefined, 'f', 'absent'],
    ['expired but not yet deleted by TTL: as if absent', rec({ state: 'done', answer, expiresAt: NOW / 1000 - 1 }), 'f', 'absent'],
    ['done, same request: replay', rec({ state: 'done', answer }), 'f', 'replay'],
    ['done, another request: mismatch', rec({ state: 'done', answer }), 'g', 'mismatch'],
    ['pending, another request: mismatch, not in-progress', rec({}), 'g', 'mismatch'],
    ['pending within the lease: in progress', rec({}), 'f', 'in-progress'],
    ['pending past the lease: its server died, take over', rec({ leaseUntil: NOW - 1 }), 'f', 'stale'],
  ];
  for (const [name, r, fp, want] of cases) t.equal(classify(r, fp, NOW).kind, want, name);
  t.match(classify(rec({ leaseUntil: NOW + 2500 }), 'f', NOW), { kind: 'in-progress', retryAfterS: 3 }, 'Retry-After rounds the lease up');
  t.match(classify(rec({ leaseUntil: NOW + 10 }), 'f', NOW), { kind: 'in-progress', retryAfterS: 1 }, 'and is at least 1 s');
});

t.test('the fingerprint covers method, URL, caller and body', async (t) => {
  const base = fingerprint('POST', '/api/v1/music', '', { a: 1 });
  t.equal(fingerprint('POST', '/api/v1/music', '', { a: 1 }), base, 'stable');
  t.not(fingerprint('PATCH', '/api/v1/music', '', { a: 1 }), base, 'method');
  t.not(fingerprint('POST', '/api/v1/users', '', { a: 1 }), base, 'path');
  t.not(fingerprint('POST', '/api/v1/music?x=1', '', { a: 1 }), base, 'query');
  t.not(fingerprint('POST', '/api/v1/music', 'Bearer x', { a: 1 }), base, 'caller');
  t.not(fingerprint('POST', '/api/v1/music', '', { a: 2 }), base, 'body');
  t.equal(fingerprint('DELETE', '/x', '', undefined), fingerprint('DELETE', '/x', '', null), 'no body is no body');
});
