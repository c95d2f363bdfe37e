import { request } from 'node:http';
import t, { type Test } from 'tap';
import { startApp } from '../../app/server.js';
import { createLogger } from '../../lib/log.js';
import { testDynalite } from '../helpers/dynalite.js';
import { testRedis } from '../helpers/redis.js';

t.setTimeout(180_000); // a safety net, not a timing: generous for a loaded CI machine

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** A raw request: any method, body bytes and headers, as a misbehaving client would send. */
function send(base: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : {} }));
    });
    // The server may answer (413/415) and close before it has read everything we send.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const redis = await testRedis(t.teardown);
const db = await testDynalite(t.teardown);
const app = await startApp(
  { port: 0, auth: 'off', redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: db.endpoint }, tablePrefix: 'bad-', createTables: true, bodyLimitBytes: 16 * 1024 },
  { log: createLogger('app', 'silent') },
);
t.teardown(() => app.close());
const U = app.url;
const NOPE = '6ba7b810-9dad-41d1-80b4-00c04fd430c8';
const statuses: number[] = [];
const expectError = async (t: Test, res: Promise<Res>, status: number, code: string | RegExp, what: string) => {
  const r = await res;
  statuses.push(r.status);
  t.equal(r.status, status, `${what}: status`);
  t.match(r.body.error, { code, message: String }, `${what}: error body`);
  return r;
};

const user = (await send(U, 'POST', '/api/v1/users', JSON.stringify({ fname: 'A', lname: 'B', email: 'a@b.co' }))).body as { id: string };
const song = (await send(U, 'POST', '/api/v1/music', JSON.stringify({ artist: 'A', title: 'T' }))).body as { id: string };
const playlist = (await send(U, 'POST', '/api/v1/playlists', JSON.stringify({ name: 'P' }))).body as { id: string };

t.test('malformed JSON and bodies that are not JSON → 400/415', async (t) => {
  for (const body of ['{"fname":', '{fname: "a"}', "{'a':1}", 'nul', '[1,2', '{"a":1}}']) {
    await expectError(t, send(U, 'POST', '/api/v1/users', body), 400, 'SHOAL_ERR_MALFORMED_JSON', `malformed ${body}`);
  }
  await expectError(t, send(U, 'POST', '/api/v1/users', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400, 'SHOAL_ERR_MALFORMED_JSON', 'invalid UTF-8');
  await expectError(t, send(U, 'POST', '/api/v1/users', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'SHOAL_ERR_UNSUPPORTED_MEDIA_TYPE', 'form body');
  await expectError(t, send(U, 'POST', '/api/v1/users', '{}', { 'content-encoding': 'gzip' }), 415, 'SHOAL_ERR_UNSUPPORTED_MEDIA_TYPE', 'gzip body');
  await expectError(t, send(U, 'POST', '/api/v1/users'), 400, 'SHOAL_ERR_VALIDATION', 'no body');
  await expectError(t, send(U, 'POST', '/api/v1/users', '   '), 400, 'SHOAL_ERR_VALIDATION', 'blank body');
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  const r = await send(U, 'POST', '/api/v1/music', deep);
  statuses.push(r.status);
  t.equal(r.status, 400, 'deeply nested JSON is a 400');
});

t.test('wrong types and missing fields → 400 naming the field', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ['/api/v1/users', { fname: 1, lname: 'B', email: 'a@b.co' }, /fname must be a string/],
    ['/api/v1/users', { lname: 'B', email: 'a@b.co' }, /fname is required/],
    ['/api/v1/users', { fname: 'A', lname: 'B', email: 'not-an-email' }, /email/],
    ['/api/v1/users', { fname: '', lname: 'B', email: 'a@b.co' }, /fname must not be empty/],
    ['/api/v1/users', { fname: 'A', lname: 'B', email: 'a@b.co', admin: true }, /unknown field admin/],
    ['/api/v1/users', [], /expected object/i],
    ['/api/v1/users', 'just a string', /expected object/i],
    ['/api/v1/users', null, /expected object/i],
    ['/api/v1/music', { artist: 'A' }, /title is required/],
    ['/api/v1/music', { artist: 'A', title: 'T', instruments: 'piano' }, /instruments must be an array/],
    ['/api/v1/music', { artist: 'A', title: 'T', instruments: [1] }, /instrument/],
    ['/api/v1/music', { artist: 'x'.repeat(201), title: 'T' }, /at most 200/],
    ['/api/v1/playlists', { owner: user.id }, /name is required/],
    ['/api/v1/playlists', { name: 'P', songs: 'abc' }, /songs must be an array/],
    ['/api/v1/playlists', { name: 'P', songs: ['not-a-uuid'] }, /songs\.0/],
    ['/api/v1/playlists', { name: 'P', owner: 42 }, /owner must be a user id/],
    [`/api/v1/playlists/${playlist.id}/songs`, {}, /songId is required/],
    [`/api/v1/playlists/${playlist.id}/songs`, { songId: 'x' }, /songId must be a UUID/],
  ];
  for (const [path, body, message] of cases) {
    const r = await expectError(t, send(U, 'POST', path, JSON.stringify(body)), 400, 'SHOAL_ERR_VALIDATION', `POST ${path} ${JSON.stringify(body).slice(0, 40)}`);
    t.match(r.body.error?.message, message);
  }
  await expectError(t, send(U, 'PATCH', `/api/v1/users/${user.id}`, '{}'), 400, 'SHOAL_ERR_VALIDATION', 'empty patch');
  await expectError(t, send(U, 'PATCH', `/api/v1/users/${user.id}`, '{"email":7}'), 400, 'SHOAL_ERR_VALIDATION', 'patch wrong type');
  await expectError(t, send(U, 'PATCH', `/api/v1/playlists/${playlist.id}`, '{"songs":[]}'), 400, 'SHOAL_ERR_VALIDATION', 'playlist patch is name only');
});

t.test('oversized body → 413, declared or streamed', async (t) => {
  const big = JSON.stringify({ fname: 'x'.repeat(40 * 1024), lname: 'B', email: 'a@b.co' });
  const r = await expectError(t, send(U, 'POST', '/api/v1/users', big), 413, 'SHOAL_ERR_BODY_TOO_LARGE', 'content-length over the limit');
  t.equal(r.headers.connection, 'close');
  await expectError(t, send(U, 'POST', '/api/v1/users', big, { 'transfer-encoding': 'chunked' }), 413, 'SHOAL_ERR_BODY_TOO_LARGE', 'chunked over the limit');
  t.equal((await send(U, 'GET', '/healthz')).status, 200, 'server still fine');
});

t.test('bad ids, unknown ids, unknown routes, wrong methods', async (t) => {
  for (const path of ['/api/v1/users/123', '/api/v1/music/%E2%82', '/api/v1/playlists/zzz', `/api/v1/playlists/${playlist.id}/songs/nope`, "/api/v1/users/'%20OR%201=1"]) {
    await expectError(t, send(U, 'GET', path), path.includes('/songs/') ? 405 : 400, /SHOAL_ERR_(INVALID_ID|METHOD_NOT_ALLOWED)/, `bad id ${path}`);
  }
  await expectError(t, send(U, 'DELETE', `/api/v1/playlists/${playlist.id}/songs/nope`), 400, 'SHOAL_ERR_INVALID_ID', 'bad song id in path');
  for (const path of [`/api/v1/users/${NOPE}`, `/api/v1/music/${NOPE}`, `/api/v1/playlists/${NOPE}`]) {
    await expectError(t, send(U, 'GET', path), 404, 'SHOAL_ERR_NOT_FOUND', `unknown ${path}`);
    await expectError(t, send(U, 'DELETE', path), 404, 'SHOAL_ERR_NOT_FOUND', `delete unknown ${path}`);
  }
  await expectError(t, send(U, 'PATCH', `/api/v1/playlists/${NOPE}`, '{"name":"x"}'), 404, 'SHOAL_ERR_NOT_FOUND', 'rename unknown playlist');
  await expectError(t, send(U, 'POST', `/api/v1/playlists/${NOPE}/songs`, JSON.stringify({ songId: song.id })), 404, 'SHOAL_ERR_NOT_FOUND', 'add to unknown playlist');
  for (const path of ['/', '/api', '/api/v2/users', '/api/v1/songs', '/api/v1/users/a/b/c', '/.env', '/api/v1/music/%2e%2e/%2e%2e/etc/passwd']) {
    await expectError(t, send(U, 'GET', path), 404, 'SHOAL_ERR_ROUTE_NOT_FOUND', `unknown route ${path}`);
  }
  const wrong = await expectError(t, send(U, 'PUT', '/api/v1/users', '{}'), 405, 'SHOAL_ERR_METHOD_NOT_ALLOWED', 'PUT on a collection');
  t.match(wrong.headers.allow, /GET/);
  await expectError(t, send(U, 'PATCH', `/api/v1/music/${song.id}`, '{}'), 405, 'SHOAL_ERR_METHOD_NOT_ALLOWED', 'PATCH music');
  await expectError(t, send(U, 'POST', '/healthz', '{}'), 405, 'SHOAL_ERR_METHOD_NOT_ALLOWED', 'POST /healthz');
  await expectError(t, send(U, 'PROPFIND', '/api/v1/users'), 405, 'SHOAL_ERR_METHOD_NOT_ALLOWED', 'unknown method');
});

t.test('query strings: bad limit and cursor → 400', async (t) => {
  for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=1.5', 'limit=1&limit=2', 'cursor=!!!', 'cursor=eyJpZCI6MX0', 'cursor=a&cursor=b']) {
    await expectError(t, send(U, 'GET', `/api/v1/music?${q}`), 400, /SHOAL_ERR_(VALIDATION|INVALID_CURSOR)/, q);
  }
  t.equal((await send(U, 'GET', '/api/v1/music?limit=5&unknown=1')).status, 200, 'unknown query parameters are ignored');
});

t.test('playlists must reference existing users and songs', async (t) => {
  await expectError(t, send(U, 'POST', '/api/v1/playlists', JSON.stringify({ name: 'P', owner: NOPE })), 422, 'SHOAL_ERR_UNKNOWN_REFERENCE', 'unknown owner');
  const r = await expectError(t, send(U, 'POST', '/api/v1/playlists', JSON.stringify({ name: 'P', songs: [song.id, NOPE] })), 422, 'SHOAL_ERR_UNKNOWN_REFERENCE', 'unknown song');
  t.match(r.body.error?.message, NOPE);
  await expectError(t, send(U, 'POST', `/api/v1/playlists/${playlist.id}/songs`, JSON.stringify({ songId: NOPE })), 422, 'SHOAL_ERR_UNKNOWN_REFERENCE', 'add unknown song');
  t.equal((await send(U, 'POST', '/api/v1/playlists', JSON.stringify({ name: 'ok', owner: user.id, songs: [song.id] }))).status, 201, 'known references are fine');
});

t.test('not one 5xx among all of the above', async (t) => {
  t.ok(statuses.length > 60);
  t.same(statuses.filter((s) => s >= 500), []);
});
