import t from 'tap';
import { startApp } from '../../app/server.js';
import { createLogger } from '../../lib/log.js';
import { login, signUp } from '../helpers/auth.js';
import { testDynalite } from '../helpers/dynalite.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

// Logging in and what a token is worth: each failure is the right 401/429 and says no more
// than a client needs; unknown users and wrong passwords look (and take) the same.

t.setTimeout(180_000);

const log = createLogger('test', 'silent');
const redis = await testRedis(t.teardown);
const db = await testDynalite(t.teardown);
const base = { port: 0, redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: db.endpoint }, tablePrefix: 'auth-' } as const;
const LIMIT = 3;
const a = await startApp({ ...base, createTables: true, loginLimits: { perAccount: LIMIT, perAddress: 100, windowMs: 60_000 } }, { log });
t.teardown(() => a.close());
// A second app server on the same fleet whose tokens live 1.5 s: the expired-token case.
const b = await startApp({ ...base, tokenTtlMs: 1500 }, { log });
t.teardown(() => b.close());

const rows: string[] = [];
const row = (what: string, status: number, code: string) => rows.push(`| ${what} | ${status} | ${code} |`);

const write = (url: string, token?: string) =>
  fetch(`${url}/api/v1/music`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ artist: 'A', title: 'T' }) });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

const user = await signUp(a.url);

t.test('a login token lets a client write, on every app server', async (t) => {
  const s = await login(a.url, user.email, user.password);
  t.equal(s.status, 201);
  t.match(s.body, { tokenType: 'Bearer', userId: user.id });
  t.equal(s.headers.get('cache-control'), 'no-store');
  const res = await write(b.url, String(s.body.token));
  t.equal(res.status, 201, 'signed by one server, accepted by another (shared keys in Redis)');
  row('valid token (signed on server A, used on B)', res.status, '-');
  t.equal((await fetch(`${a.url}/api/v1/music?limit=1`)).status, 200, 'reads stay open under --auth writes');
});

t.test('no token, a garbage token, a tampered token', async (t) => {
  const token = String((await login(a.url, user.email, user.password)).body.token);
  const [h, p, sig] = token.split('.');
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })).toString('base64url')}.${sig}`;
  for (const [what, tok] of [
    ['no Authorization header', undefined],
    ['garbage token', 'not-a-token'],
    ['tampered claims (signature no longer matches)', forged],
  ] as const) {
    const res = await write(a.url, tok);
    const err = await errorOf(res);
    t.equal(res.status, 401, what);
    t.equal(err.code, 'SHOAL_ERR_UNAUTHORIZED');
    t.equal(res.headers.get('www-authenticate'), 'Bearer realm="shoal"');
    row(what, res.status, err.code);
  }
});

t.test('wrong password and unknown user: the same 401, word for word', async (t) => {
  const wrong = await login(a.url, user.email, 'not the password');
  const unknown = await login(a.url, 'nobody-here@example.com', 'not the password');
  t.equal(wrong.status, 401);
  t.equal(unknown.status, 401);
  t.same(wrong.body, unknown.body, 'nothing tells a registered email from an unknown one');
  t.equal((wrong.body.error as { code: string }).code, 'SHOAL_ERR_INVALID_CREDENTIALS');
  row('wrong password', wrong.status, 'SHOAL_ERR_INVALID_CREDENTIALS');
  row('unknown user', unknown.status, 'SHOAL_ERR_INVALID_CREDENTIALS (same body)');
});

t.test('an expired token is refused', async (t) => {
  const s = await login(b.url, user.email, user.password);
  const token = String(s.body.token);
  t.equal((await write(a.url, token)).status, 201, 'fresh: accepted');
  const res = await waitFor(async () => {
    const r = await write(a.url, token);
    return r.status === 401 ? r : undefined;
  }, { timeoutMs: 20_000, intervalMs: 250, what: 'the 1.5 s token to expire' });
  const err = await errorOf(res);
  t.equal(err.code, 'SHOAL_ERR_UNAUTHORIZED');
  t.notMatch(err.message, /expire/i, 'no detail on why');
  row('expired token', res.status, err.code);
});

t.test('a revoked token is refused by every server', async (t) => {
  const token = String((await login(a.url, user.email, user.password)).body.token);
  const out = await fetch(`${b.url}/api/v1/sessions/current`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  t.equal(out.status, 204);
  const res = await write(a.url, token);
  const err = await errorOf(res);
  t.equal(res.status, 401);
  t.equal(err.code, 'SHOAL_ERR_UNAUTHORIZED');
  row('revoked token (DELETE /api/v1/sessions/current on B, used on A)', res.status, err.code);
  t.equal((await fetch(`${a.url}/api/v1/sessions/current`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status, 401, 'revoking twice: already not a valid token');
});

t.test(`rate limit: after ${LIMIT} failures the account gets 429, even with the right password`, async (t) => {
  const victim = await signUp(a.url);
  for (let i = 0; i < LIMIT; i++) t.equal((await login(a.url, victim.email, `guess ${i}`)).status, 401, `failure ${i + 1}`);
  const limited = await login(a.url, victim.email, victim.password);
  t.equal(limited.status, 429);
  t.equal((limited.body.error as { code: string }).code, 'SHOAL_ERR_TOO_MANY_ATTEMPTS');
  t.ok(Number(limited.headers.get('retry-after')) >= 1, 'Retry-After says when');
  t.notMatch(JSON.stringify(limited.body), victim.email, 'the answer names no account');
  row(`rate limit (${LIMIT} failures, then the right password)`, limited.status, 'SHOAL_ERR_TOO_MANY_ATTEMPTS');
  const ghost = 'ghost@example.com';
  for (let i = 0; i < LIMIT; i++) await login(a.url, ghost, 'x');
  t.equal((await login(a.url, ghost, 'x')).status, 429, 'unknown accounts are limited the same way (no enumeration by 429)');
  t.equal((await login(a.url, user.email, user.password)).status, 201, 'other accounts are not affected');
});

t.test('a course-API token (/login by user id) is not a token for shoal\'s API', async (t) => {
  const token = await (await fetch(`${a.url}/api/v1/user/login`, { method: 'PUT', headers: { 'x-shoal-compat': '1', 'content-type': 'application/json' }, body: JSON.stringify({ uid: user.id }) })).text();
  const res = await write(a.url, token);
  t.equal(res.status, 401);
  row('course-API /login token on shoal\'s API', res.status, (await errorOf(res)).code);
});

t.test('--auth all protects reads; --auth off opens writes', async (t) => {
  const all = await startApp({ ...base, auth: 'all' }, { log });
  t.teardown(() => all.close());
  const off = await startApp({ ...base, auth: 'off' }, { log });
  t.teardown(() => off.close());
  t.equal((await fetch(`${all.url}/api/v1/music?limit=1`)).status, 401);
  t.equal((await fetch(`${all.url}/healthz`)).status, 200, 'health checks never need a token');
  t.equal((await login(all.url, user.email, user.password)).status, 201, 'logging in is open');
  t.equal((await write(off.url)).status, 201);
});

t.test('timing: unknown user vs wrong password are indistinguishable within noise', async (t) => {
  const timing = await startApp({ ...base, prefix: `${redis.prefix}timing:`, loginLimits: { perAccount: 1000, perAddress: 1000, windowMs: 60_000 } }, { log });
  t.teardown(() => timing.close());
  const known = await signUp(timing.url);
  const time = async (email: string) => {
    const t0 = performance.now();
    const r = await login(timing.url, email, 'wrong password');
    if (r.status !== 401) throw new Error(`expected 401, got ${r.status}`);
    return performance.now() - t0;
  };
  const wrong: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 15; i++) {
    wrong.push(await time(known.email));
    unknown.push(await time(`nobody${i}@example.com`));
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const [mw, mu] = [median(wrong), median(unknown)];
  t.comment(`median login time: wrong password ${mw.toFixed(1)} ms, unknown user ${mu.toFixed(1)} ms`);
  // An unknown user without the dummy hash answers in ~1 ms against scrypt's ~50+ ms: a generous bound still catches that.
  t.ok(Math.abs(mw - mu) < 0.5 * Math.max(mw, mu), `medians within 50 % of each other (${mw.toFixed(1)} vs ${mu.toFixed(1)} ms)`);
  t.ok(mu > 0.5 * mw, 'the unknown-user path runs the same scrypt');
  rows.push(`| timing, 15 interleaved logins each | median ${mw.toFixed(1)} ms wrong password / ${mu.toFixed(1)} ms unknown user | within 50 % |`);
});

t.teardown(() => {
  process.stdout.write(['# auth table', '| case | status | code |', '|---|---|---|', ...rows].map((l) => `# ${l}`).join('\n') + '\n');
});
