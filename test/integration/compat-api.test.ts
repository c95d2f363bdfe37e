import t from 'tap';
import { startApp } from '../../app/server.js';
import { createLogger } from '../../lib/log.js';
import { COMPAT_HEADER } from '../../lib/compat-header.js';
import { startProxy } from '../fixtures/backend.js';
import { CourseClient } from '../helpers/course-client.js';
import { testDynalite } from '../helpers/dynalite.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

// The course system's clients, unchanged, against the proxy's --compat-port: every route
// round-trips in the original shapes on shoal's tables, and shoal's own API is untouched.

t.setTimeout(240_000); // a safety net, not a timing: generous for a loaded CI machine

const log = createLogger('test', 'silent');
const redis = await testRedis(t.teardown);
const db = await testDynalite(t.teardown);
const app = await startApp({ port: 0, redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: db.endpoint }, tablePrefix: 'compat-', createTables: true }, { log });
t.teardown(() => app.close());
const proxy = await startProxy(t.teardown, redis, ['--compat-port', '0']);
await waitFor(async () => (await proxy.pool()).members.some((m) => m.up), { what: 'the proxy to route to the app' });
const course = new CourseClient(proxy.compatUrl!);

t.test('music: create, read, update, delete; unknown id 404', async (t) => {
  const created = await course.post('/api/v1/music/', { Artist: 'Taylor Swift', SongTitle: 'The Last Great American Dynasty' });
  t.equal(created.status_code, 200);
  const id = created.json().music_id as string;
  t.match(id, /^[0-9a-f-]{36}$/);
  const read = await course.get(`/api/v1/music/${id}`);
  t.equal(read.status_code, 200);
  t.same(read.json(), { Count: 1, Items: [{ music_id: id, Artist: 'Taylor Swift', SongTitle: 'The Last Great American Dynasty' }] });
  const updated = await course.put(`/api/v1/music/${id}`, { Artist: 'Taylor Swift', SongTitle: 'Betty' });
  t.equal(updated.status_code, 200);
  t.match((await course.get(`/api/v1/music/${id}`)).json(), { Items: [{ SongTitle: 'Betty' }] });
  const all = (await course.get('/api/v1/music/')).json();
  t.ok((all.Items as { music_id: string }[]).some((s) => s.music_id === id), 'the collection lists it');
  t.equal(all.Count, (all.Items as unknown[]).length);
  t.equal((await course.delete(`/api/v1/music/${id}`)).status_code, 200);
  t.equal((await course.get(`/api/v1/music/${id}`)).status_code, 404);
  t.equal((await course.get('/api/v1/music/not-an-id')).status_code, 404);
  t.equal((await course.post('/api/v1/music/', { Artist: 'x' })).status_code, 400, 'a missing field is a 400 (the original answered 600)');
});

t.test('users: create, read, update, login, logoff, delete', async (t) => {
  const created = await course.post('/api/v1/user/', { fname: 'Sherlock', lname: 'Holmes', email: 'sh@holmes.org' });
  t.equal(created.status_code, 200);
  const id = created.json().user_id as string;
  t.same((await course.get(`/api/v1/user/${id}`)).json(), { Count: 1, Items: [{ user_id: id, fname: 'Sherlock', lname: 'Holmes', email: 'sh@holmes.org' }] });
  t.equal((await course.put(`/api/v1/user/${id}`, { fname: 'Mycroft', lname: 'Holmes', email: 'mh@holmes.org' })).status_code, 200);
  t.match((await course.get(`/api/v1/user/${id}`)).json(), { Items: [{ fname: 'Mycroft', email: 'mh@holmes.org' }] });
  const login = await course.put('/api/v1/user/login', { uid: id });
  t.equal(login.status_code, 200);
  t.match(login.text, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'the bare token, as the original answered');
  t.equal((await course.put('/api/v1/user/login', { uid: '00000000-0000-4000-8000-000000000000' })).status_code, 404, 'unknown uid');
  const off = await course.put('/api/v1/user/logoff', { jwt: login.text });
  t.equal(off.status_code, 200);
  t.same(off.json(), {});
  t.equal((await course.delete(`/api/v1/user/${id}`)).status_code, 200);
  t.equal((await course.get(`/api/v1/user/${id}`)).status_code, 404);
});

const SHAPES = [
  { name: 'Name', songs: 'Playlist', body: (a: string, b: string) => ({ Name: 'Road trip', Playlist: `${a},${b}` }) },
  { name: 'ListName', songs: 'Songs', body: (a: string, b: string) => ({ ListName: 'Road trip', Songs: [a, b] }) },
  { name: 'PlayListName', songs: 'Songs', body: (a: string, b: string) => ({ PlayListName: 'Road trip', Songs: [a, b] }) },
];

for (const shape of SHAPES) {
  t.test(`playlists in the ${shape.name} shape: create, read, update, add/remove songs both ways, delete`, async (t) => {
    const [a, b, c, d] = ['s-a', 's-b', 's-c', 's-d']; // references are stored as given, unchecked
    const created = await course.post('/api/v1/playlist/', shape.body(a, b));
    t.equal(created.status_code, 200);
    const id = created.json().playlist_id as string;
    const read = async () => (await course.get(`/api/v1/playlist/${id}`)).json();
    t.same(await read(), { Count: 1, Items: [{ playlist_id: id, [shape.name]: 'Road trip', [shape.songs]: [a, b] }] }, 'read back under the names sent, songs as a list');
    t.equal((await course.put(`/api/v1/playlist/${id}`, { [shape.name]: 'Night drive' })).status_code, 200);
    t.match(await read(), { Items: [{ [shape.name]: 'Night drive', [shape.songs]: [a, b] }] }, 'renamed, songs kept');
    t.equal((await course.post(`/api/v1/playlist/${id}/add`, { music_id: c })).status_code, 200);
    t.equal((await course.put(`/api/v1/playlist/add_song_to_list/${id}`, { music_id: d })).status_code, 200);
    t.same((await read()).Items, [{ playlist_id: id, [shape.name]: 'Night drive', [shape.songs]: [a, b, c, d] }], 'appended in order');
    t.equal((await course.post(`/api/v1/playlist/${id}/delete`, { music_id: b })).status_code, 200);
    const removed = await course.put(`/api/v1/playlist/delete_song_from_list/${id}`, { music_id: c });
    t.equal(removed.status_code, 200);
    t.same((removed.json().Items as Record<string, unknown>[])[0]![shape.songs], [a, d], 'the answer carries the new list, order kept');
    t.equal((await course.delete(`/api/v1/playlist/${id}`)).status_code, 200);
    t.equal((await course.get(`/api/v1/playlist/${id}`)).status_code, 404);
    t.equal((await course.post(`/api/v1/playlist/${id}/add`, { music_id: a })).status_code, 404, 'adding to a deleted playlist');
  });
}

t.test('the original 401 without an Authorization header; login and logoff need none', async (t) => {
  const bare = new CourseClient(proxy.compatUrl!, null);
  for (const [method, path, body] of [
    ['GET', '/api/v1/music/', undefined],
    ['POST', '/api/v1/music/', { Artist: 'a', SongTitle: 'b' }],
    ['GET', '/api/v1/user/00000000-0000-4000-8000-000000000000', undefined],
    ['POST', '/api/v1/playlist/', { Name: 'x', Playlist: '' }],
    ['DELETE', '/api/v1/playlist/00000000-0000-4000-8000-000000000000', undefined],
  ] as const) {
    const res = await bare.send(method, path, body);
    t.equal(res.status_code, 401, `${method} ${path}`);
    t.equal((res.json().error as { code: string }).code, 'SHOAL_ERR_UNAUTHORIZED');
  }
  t.equal((await bare.put('/api/v1/user/logoff', { jwt: 'x' })).status_code, 200);
});

t.test('shoal API and course API side by side, on the same tables', async (t) => {
  const song = (await course.post('/api/v1/music/', { Artist: 'Nina Simone', SongTitle: 'Feeling Good' })).json().music_id as string;
  const own = await fetch(`${proxy.url}/api/v1/music/${song}`);
  t.equal(own.status, 200);
  t.match(await own.json(), { id: song, artist: 'Nina Simone', title: 'Feeling Good' }, "shoal's own answer for the same id");
  const forged = await fetch(`${proxy.url}/api/v1/user/`, { headers: { [COMPAT_HEADER]: '1', authorization: 'Bearer A' } });
  t.equal(forged.status, 404, 'a client cannot reach the course routes on the main port by sending the mark');
  const compatOwn = await course.get('/api/v1/users');
  t.equal(compatOwn.status_code, 404, "shoal's own routes are not on the compat port");
});

t.test('--compat-auth strict: the value must be a token from /login', async (t) => {
  const strict = await startApp(
    { port: 0, redisUrl: redis.url, prefix: `${redis.prefix}strict:`, dynamodb: { kind: 'endpoint', url: db.endpoint }, tablePrefix: 'compat-', compatAuth: 'strict' },
    { log },
  );
  t.teardown(() => strict.close());
  // Straight to the app with the proxy's mark: this app is not in the proxy's pool.
  const direct = (auth: string) => ({ send: (m: 'GET' | 'POST' | 'PUT', p: string, b?: unknown) => fetch(`${strict.url}${p}`, { method: m, headers: { [COMPAT_HEADER]: '1', authorization: auth, 'content-type': 'application/json' }, body: b === undefined ? undefined : JSON.stringify(b) }) });
  const user = (await course.post('/api/v1/user/', { fname: 'Ada', lname: 'L', email: 'ada@example.com' })).json().user_id as string;
  t.equal((await direct('Bearer A').send('GET', `/api/v1/user/${user}`)).status, 401, 'any value is not enough');
  const token = await (await direct('').send('PUT', '/api/v1/user/login', { uid: user })).text();
  t.equal((await direct(`Bearer ${token}`).send('GET', `/api/v1/user/${user}`)).status, 200, 'a /login token is');
  await direct('').send('PUT', '/api/v1/user/logoff', { jwt: token });
  t.equal((await direct(`Bearer ${token}`).send('GET', `/api/v1/user/${user}`)).status, 401, 'and not after logoff');
});
