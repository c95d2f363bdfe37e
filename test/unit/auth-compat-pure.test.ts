import t from 'tap';
import { loginVerdict } from '../../app/auth/login-guard.js';
import { needsToken } from '../../app/auth/middleware.js';
import { hashPassword, verifyPassword } from '../../app/auth/password.js';
import { parsePlaylist, playlistItem } from '../../app/compat/shapes.js';
import { withAuthorization } from '../../load/authorization.js';

t.test('needsToken: which requests need a bearer token in each mode', async (t) => {
  const cases: [Parameters<typeof needsToken>, boolean][] = [
    [['off', 'POST', '/api/v1/music'], false],
    [['writes', 'GET', '/api/v1/music'], false],
    [['writes', 'HEAD', '/api/v1/music/x'], false],
    [['writes', 'POST', '/api/v1/music'], true],
    [['writes', 'PATCH', '/api/v1/users/x'], true],
    [['writes', 'DELETE', '/api/v1/sessions/current'], true],
    [['writes', 'POST', '/api/v1/users'], false],
    [['writes', 'POST', '/api/v1/users/'], false],
    [['writes', 'POST', '/api/v1/sessions'], false],
    [['all', 'GET', '/api/v1/music'], true],
    [['all', 'GET', '/api/v1/openapi.json'], false],
    [['all', 'GET', '/healthz'], false],
    [['all', 'GET', '/metrics'], false],
    [['all', 'POST', '/api/v1/sessions'], false],
  ];
  for (const [args, want] of cases) t.equal(needsToken(...args), want, args.join(' '));
});

t.test('loginVerdict: blocked once either count reaches its limit; Retry-After from the later window', async (t) => {
  const limits = { perAccount: 3, perAddress: 10, windowMs: 60_000 };
  const w = (count: number, resetMs = 30_000) => ({ count, resetMs });
  t.same(loginVerdict(w(0), w(0), limits), { allowed: true });
  t.same(loginVerdict(w(2), w(9), limits), { allowed: true });
  t.same(loginVerdict(w(3, 12_300), w(0), limits), { allowed: false, retryAfterS: 13 });
  t.same(loginVerdict(w(0), w(10, 500), limits), { allowed: false, retryAfterS: 1 });
  t.same(loginVerdict(w(5, 2000), w(10, 40_000), limits), { allowed: false, retryAfterS: 40 });
});

t.test('passwords: a salted scrypt string that verifies only its own password', async (t) => {
  const a = await hashPassword('correct horse');
  const b = await hashPassword('correct horse');
  t.match(a, /^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
  t.not(a, b, 'a fresh salt each time');
  t.ok(await verifyPassword('correct horse', a));
  t.notOk(await verifyPassword('correct horsf', a));
  t.notOk(await verifyPassword('x', 'not-a-hash'), 'a malformed hash never matches');
});

t.test('course playlists: each shape in, the same shape out', async (t) => {
  const cases: [unknown, { shape: string; name?: string; songs?: string[] }][] = [
    [{ Name: 'A', Playlist: 'x, y,,z' }, { shape: 'Name', name: 'A', songs: ['x', 'y', 'z'] }],
    [{ Name: 'A', Playlist: '' }, { shape: 'Name', name: 'A', songs: [] }],
    [{ Name: 'A' }, { shape: 'Name', name: 'A', songs: undefined }],
    [{ ListName: 'B', Songs: ['x'] }, { shape: 'ListName', name: 'B', songs: ['x'] }],
    [{ PlayListName: 'C', Songs: [] }, { shape: 'PlayListName', name: 'C', songs: [] }],
  ];
  for (const [body, want] of cases) t.same(parsePlaylist(body), want, JSON.stringify(body));
  t.same(parsePlaylist({ Songs: ['q'] }, 'ListName'), { shape: 'ListName', name: undefined, songs: ['q'] }, 'an update may carry only songs');
  for (const bad of [{}, { Name: 'A', Playlist: 5 }, { ListName: 'B', Songs: 'x,y' }, { PlayListName: '' }, [1], null]) {
    t.throws(() => parsePlaylist(bad), { code: 'SHOAL_ERR_VALIDATION' } as object as Error, JSON.stringify(bad));
  }
  const p = { id: 'p1', name: 'A', songs: ['x', 'y'], createdAt: '', updatedAt: '' };
  t.same(playlistItem(p, 'Name'), { playlist_id: 'p1', Name: 'A', Playlist: ['x', 'y'] });
  t.same(playlistItem(p, 'PlayListName'), { playlist_id: 'p1', PlayListName: 'A', Songs: ['x', 'y'] });
  t.same(playlistItem(p, undefined), { playlist_id: 'p1', Name: 'A', Playlist: ['x', 'y'] }, "a playlist made through shoal's API reads as the Name shape");
});

t.test('withAuthorization: every request gets the header unless it sets its own', async (t) => {
  const req = (headers: Record<string, string>) => ({ method: 'GET' as const, path: '/', headers, body: null, class: 'valid' as const, name: '' });
  const file = {
    templates: [{ id: 'a', weight: 1, ...req({}) }, { id: 'b', weight: 1, ...req({ Authorization: 'Bearer bad' }) }],
    chains: [{ id: 'c', name: '', weight: 1, steps: [{ ...req({ accept: 'x' }), save: {} }] }],
  };
  const out = withAuthorization(file, 'Bearer T');
  t.same(out.templates.map((x) => x.headers), [{ authorization: 'Bearer T' }, { Authorization: 'Bearer bad' }]);
  t.same(out.chains[0]!.steps[0]!.headers, { accept: 'x', authorization: 'Bearer T' });
  t.same(file.templates[0]!.headers, {}, 'the input is not changed');
});
