import t from 'tap';
import { classifyFailure, RetryBudget, shouldRetry, type RetryQuestion } from '../../proxy/retry.js';

const always = { tryWithdraw: () => true };
const never = { tryWithdraw: () => false };
const q = (o: Partial<RetryQuestion>): RetryQuestion => ({ method: 'GET', failure: 'sent', attempts: 1, maxAttempts: 3, bodyReplayable: true, keyed: false, untried: 2, retrySent: true, ...o });

t.test('retry policy table', async (t) => {
  const cases: { name: string; q: RetryQuestion; budget?: typeof always; want: string }[] = [
    { name: 'GET whose connection broke: retried', q: q({}), want: 'retry' },
    { name: 'POST that never connected: retried', q: q({ method: 'POST', failure: 'connect' }), want: 'retry' },
    { name: 'POST sent then broken: never retried', q: q({ method: 'POST', failure: 'sent' }), want: 'not-idempotent' },
    { name: 'PATCH timed out: not retried', q: q({ method: 'PATCH', failure: 'timeout' }), want: 'not-idempotent' },
    { name: 'POST with an Idempotency-Key sent then broken: retried', q: q({ method: 'POST', failure: 'sent', keyed: true }), want: 'retry' },
    { name: 'POST with a key that timed out: not retried (may still be running)', q: q({ method: 'POST', failure: 'timeout', keyed: true }), want: 'not-idempotent' },
    { name: 'POST with a key: still within the budget', q: q({ method: 'POST', keyed: true }), budget: never, want: 'budget' },
    { name: 'PUT timed out: retried (idempotent)', q: q({ method: 'PUT', failure: 'timeout' }), want: 'retry' },
    { name: 'DELETE, OPTIONS, HEAD are idempotent', q: q({ method: 'DELETE' }), want: 'retry' },
    { name: 'client gone: nobody to answer', q: q({ failure: 'aborted' }), want: 'client-gone' },
    { name: 'streamed body cannot be resent', q: q({ failure: 'connect', bodyReplayable: false }), want: 'body-streamed' },
    { name: 'attempts used up', q: q({ attempts: 3 }), want: 'attempts' },
    { name: 'no other server to try', q: q({ untried: 0 }), want: 'no-other-server' },
    { name: 'budget spent', q: q({}), budget: never, want: 'budget' },
    { name: '--retry-sent off: a GET whose connection broke after sending is not resent', q: q({ retrySent: false }), want: 'retry-sent-off' },
    { name: '--retry-sent off: nor a keyed POST', q: q({ method: 'POST', keyed: true, retrySent: false }), want: 'retry-sent-off' },
    { name: '--retry-sent off: nor a GET that timed out', q: q({ failure: 'timeout', retrySent: false }), want: 'retry-sent-off' },
    { name: '--retry-sent off: what never reached a server still is', q: q({ method: 'POST', failure: 'connect', retrySent: false }), want: 'retry' },
  ];
  for (const k of cases) {
    const v = shouldRetry(k.q, k.budget ?? always);
    t.equal(v.retry ? 'retry' : v.reason, k.want, k.name);
  }
});

t.test('a refused retry spends no budget', async (t) => {
  let spent = 0;
  shouldRetry(q({ method: 'POST' }), { tryWithdraw: () => (spent++, true) });
  t.equal(spent, 0);
});

t.test('failure classification', async (t) => {
  const cases: [code: string | undefined, aborted: boolean, want: string][] = [
    ['ECONNREFUSED', false, 'connect'],
    ['UND_ERR_CONNECT_TIMEOUT', false, 'connect'],
    ['UND_ERR_CLOSED', false, 'connect'],
    ['ECONNRESET', false, 'sent'],
    ['UND_ERR_SOCKET', false, 'sent'],
    ['UND_ERR_HEADERS_TIMEOUT', false, 'timeout'],
    ['UND_ERR_ABORTED', false, 'aborted'],
    ['ECONNREFUSED', true, 'aborted'],
    [undefined, false, 'sent'],
  ];
  for (const [code, aborted, want] of cases) t.equal(classifyFailure({ code }, aborted), want, `${code} aborted=${aborted}`);
});

t.test('retry budget: 20 % of requests plus a small per-second floor', async (t) => {
  let now = 0;
  const b = new RetryBudget({ ratio: 0.2, minPerSecond: 2, now: () => now });
  t.ok(b.tryWithdraw() && b.tryWithdraw(), 'the floor allows two at once');
  t.notOk(b.tryWithdraw(), 'then nothing');
  for (let i = 0; i < 50; i++) b.deposit();
  let n = 0;
  while (b.tryWithdraw()) n++;
  t.equal(n, 10, '50 requests fund 10 retries');
  now += 500;
  t.ok(b.tryWithdraw(), 'the floor refills over time');
  t.notOk(b.tryWithdraw());
  const capped = new RetryBudget({ ratio: 0.2, minPerSecond: 0, maxBalance: 5, now: () => now });
  for (let i = 0; i < 1000; i++) capped.deposit();
  n = 0;
  while (capped.tryWithdraw()) n++;
  t.equal(n, 5, 'a long calm does not fund a storm');
});
