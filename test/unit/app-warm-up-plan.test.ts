import t from 'tap';
import { DISCOVERY, idsOf, warmRequest, type KnownIds, type WarmRequest } from '../../app/warm-up/plan.js';

const SEEDED: KnownIds = {
  songs: ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'],
  users: ['33333333-3333-4333-8333-333333333333'],
  playlists: ['44444444-4444-4444-8444-444444444444'],
};
const EMPTY: KnownIds = { songs: [], users: [], playlists: [] };

const first = (n: number, ids: KnownIds): WarmRequest[] => Array.from({ length: n }, (_, i) => warmRequest(i, ids));
const share = (list: WarmRequest[], f: (r: WarmRequest) => boolean) => list.filter(f).length / list.length;

t.test('the mix is mostly reads, with 404s and 400s, and writes nothing', async (t) => {
  for (const [name, ids] of [['seeded', SEEDED], ['empty tables', EMPTY]] as const) {
    const plan = first(1000, ids);
    // The only POSTs: a body the validation refuses and a malformed JSON body, both before any write.
    const posts = plan.filter((r) => r.method === 'POST');
    t.ok(
      posts.every((r) => r.expect === 'bad-request' && ['/api/v1/users', '/api/v1/sessions'].includes(r.path) && ['{}', '{"email":'].includes(r.body!)),
      `${name}: every POST is refused before a write`,
    );
    t.ok(plan.every((r) => r.method === 'GET' || r.method === 'POST'), `${name}: no PUT, PATCH or DELETE`);
    t.ok(share(plan, (r) => r.method === 'GET') >= 0.85, `${name}: mostly reads`);
    t.ok(share(plan, (r) => r.expect === 'bad-request') >= 0.1, `${name}: 400s asked`);
    t.ok(share(plan, (r) => r.expect === 'not-found') >= 0.1, `${name}: 404s asked`);
    t.ok(share(plan, (r) => r.expect === 'list') >= 0.05, `${name}: lists asked`);
  }
});

t.test('reads by id go to the known ids, all of them; with none known they ask for an absent id', async (t) => {
  const seeded = first(200, SEEDED);
  const paths = new Set(seeded.map((r) => r.path));
  for (const id of SEEDED.songs) t.ok(paths.has(`/api/v1/music/${id}`), `song ${id} read`);
  t.ok(paths.has(`/api/v1/users/${SEEDED.users[0]}`), 'user read');
  t.ok(paths.has(`/api/v1/playlists/${SEEDED.playlists[0]}`), 'playlist read');
  t.ok(seeded.some((r) => r.path.startsWith(`/api/v1/music/${SEEDED.songs[0]}/similar`) || r.path.startsWith(`/api/v1/music/${SEEDED.songs[1]}/similar`)), 'similar songs read');
  t.ok(seeded.some((r) => r.path.startsWith('/songs/')), 'a song page read');
  t.notOk(first(200, EMPTY).some((r) => r.expect === 'found'), 'empty tables: nothing is expected to be found');
});

t.test('the plan is a pure function of n and the ids', async (t) => {
  t.same(first(60, SEEDED), first(60, SEEDED));
});

t.test('discovery lists each resource once; idsOf reads a page', async (t) => {
  t.same(Object.values(DISCOVERY).map((r) => r.path.split('?')[0]), ['/api/v1/music', '/api/v1/users', '/api/v1/playlists']);
  const table: [unknown, string[]][] = [
    [{ items: [{ id: 'a' }, { id: 'b' }], next: null }, ['a', 'b']],
    [{ items: [{ id: 1 }, null, { name: 'x' }, { id: 'c' }] }, ['c']],
    [{ error: { code: 'X', message: 'no' } }, []],
    [null, []],
    [undefined, []],
    ['text', []],
  ];
  for (const [body, ids] of table) t.same(idsOf(body), ids, JSON.stringify(body));
});
