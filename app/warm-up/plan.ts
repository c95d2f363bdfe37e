// What a new app server asks itself before it reports ready: the kinds of request real
// traffic brings (reads by id, lists, 404s, 400s), in proportions like the load's, and
// nothing that writes. The POSTs carry bodies the validation refuses (or meet the bearer
// check first): validation runs before any claim or write (app/http/accepts.ts).

/** One warm-up request; `expect` says what it must get back, so a test can check the mix. */
export interface WarmRequest {
  method: 'GET' | 'POST';
  path: string;
  /** A raw request body (POST only). */
  body?: string;
  expect: 'found' | 'list' | 'not-found' | 'bad-request';
}

/** Ids read from the first page of each list: what the reads by id ask for. */
export interface KnownIds {
  songs: readonly string[];
  users: readonly string[];
  playlists: readonly string[];
}

/** Well-formed ids no record has (v4 UUIDs are random, this one is all zeros but its version digit). */
const ABSENT_ID = '00000000-0000-4000-8000-000000000000';
const LIST_LIMIT = 20;

/** The first requests: one page of each list, from which the ids for the rest are read. */
export const DISCOVERY: Readonly<Record<keyof KnownIds, WarmRequest>> = {
  songs: { method: 'GET', path: `/api/v1/music?limit=${LIST_LIMIT}`, expect: 'list' },
  users: { method: 'GET', path: `/api/v1/users?limit=${LIST_LIMIT}`, expect: 'list' },
  playlists: { method: 'GET', path: `/api/v1/playlists?limit=${LIST_LIMIT}`, expect: 'list' },
};

type Step = (n: number, ids: KnownIds) => WarmRequest;

/** A read by id of the nth known record, or of an absent one while the table is empty. */
const byId =
  (prefix: string, pick: (ids: KnownIds) => readonly string[]): Step =>
  (n, ids) => {
    const list = pick(ids);
    return list.length > 0 ? { method: 'GET', path: `${prefix}/${list[n % list.length]}`, expect: 'found' } : { method: 'GET', path: `${prefix}/${ABSENT_ID}`, expect: 'not-found' };
  };

const song = byId('/api/v1/music', (i) => i.songs);
const LISTS = ['/api/v1/music', '/api/v1/users', '/api/v1/playlists'];

/**
 * One round of 20, mostly reads as real traffic is: half reads by id, lists, a
 * similar-songs read and a song page, and a quarter 4xx (absent ids, a malformed id, a bad
 * query, bodies refused before any write), so the error paths are warm too.
 */
const ROUND: readonly Step[] = [
  song,
  byId('/api/v1/users', (i) => i.users),
  song,
  byId('/api/v1/playlists', (i) => i.playlists),
  (n) => ({ method: 'GET', path: `${LISTS[n % LISTS.length]}?limit=${LIST_LIMIT}`, expect: 'list' }),
  song,
  () => ({ method: 'GET', path: `/api/v1/music/${ABSENT_ID}`, expect: 'not-found' }),
  (n, ids) => (ids.songs.length > 0 ? { method: 'GET', path: `/api/v1/music/${ids.songs[n % ids.songs.length]}/similar?limit=5`, expect: 'found' } : song(n, ids)),
  byId('/api/v1/users', (i) => i.users),
  song,
  () => ({ method: 'POST', path: '/api/v1/users', body: '{}', expect: 'bad-request' }),
  (n) => ({ method: 'GET', path: `${LISTS[(n + 1) % LISTS.length]}?limit=5`, expect: 'list' }),
  song,
  (n, ids) => (ids.songs.length > 0 ? { method: 'GET', path: `/songs/${ids.songs[n % ids.songs.length]}`, expect: 'found' } : { method: 'GET', path: `/songs/${ABSENT_ID}`, expect: 'not-found' }),
  () => ({ method: 'GET', path: `/api/v1/playlists/${ABSENT_ID}`, expect: 'not-found' }),
  byId('/api/v1/playlists', (i) => i.playlists),
  () => ({ method: 'GET', path: '/api/v1/music/not-an-id', expect: 'bad-request' }),
  song,
  () => ({ method: 'POST', path: '/api/v1/sessions', body: '{"email":', expect: 'bad-request' }),
  () => ({ method: 'GET', path: '/api/v1/users?limit=0', expect: 'bad-request' }),
];

/** Pure: the nth warm-up request after discovery (n from 0), spreading the reads over the known ids. */
export function warmRequest(n: number, ids: KnownIds): WarmRequest {
  const round = Math.floor(n / ROUND.length);
  return ROUND[n % ROUND.length]!(round + n, ids);
}

/** Pure: the ids in a list page's JSON body (`{ items: [{ id }] }`); none for anything else. */
export function idsOf(body: unknown): string[] {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return [];
  return items.flatMap((x) => (typeof (x as { id?: unknown } | null)?.id === 'string' ? [(x as { id: string }).id] : []));
}
