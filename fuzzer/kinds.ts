import type { Prng } from './prng.js';
import { FRESH_KEY, IDEMPOTENCY_KEY, type Template } from './templates.js';
import { headerMix, person, playlistName, song } from './vocabulary.js';

/** A template before it gets its id: what one kind of request draws from the PRNG. */
export type Draft = Omit<Template, 'id'>;
export type Kind = (r: Prng) => Draft;

/** Invalid kinds are many but light: together about a fifth of the traffic. */
const INVALID_WEIGHT = 0.5;
const JSON_CT = { 'content-type': 'application/json' };
const json = (v: unknown) => JSON.stringify(v);

/** Path segments no id route may accept: each must be a 4xx (400 or 404), never a 5xx. */
const BAD_IDS = [
  '00000000-0000-4000-8000-000000000000',
  'not-a-uuid',
  '%27%20OR%201%3D1%20--',
  '..%2F..%2Fetc%2Fpasswd',
  '%E2%98%83',
  '{{pad:3000}}',
  '%00',
  '-1',
  '%ZZ',
];

function valid(name: string, method: Draft['method'], path: string, body: unknown, weight: number): Kind {
  return (r) => ({
    name,
    method,
    path,
    headers: { ...headerMix(r), ...(body === undefined ? {} : JSON_CT), ...(method === 'POST' ? { [IDEMPOTENCY_KEY]: FRESH_KEY } : {}) },
    body: body === undefined ? null : typeof body === 'function' ? (body as (r: Prng) => string)(r) : json(body),
    class: 'valid',
    weight,
  });
}

function invalid(name: string, method: Draft['method'], path: string | ((r: Prng) => string), body: string | null | ((r: Prng) => string), headers: Record<string, string> = JSON_CT): Kind {
  return (r) => ({
    name,
    method,
    path: typeof path === 'function' ? path(r) : path,
    headers: { ...headers },
    body: typeof body === 'function' ? body(r) : body,
    class: 'invalid',
    weight: INVALID_WEIGHT,
  });
}

const badId = (r: Prng) => r.pick(BAD_IDS);

/** Every valid kind of request the fuzzer knows. New kinds go at the end so existing seeds keep their files. */
export const VALID_KINDS: Kind[] = [
  valid('list songs', 'GET', '/api/v1/music?limit=20', undefined, 10),
  (r) => ({ ...valid('list songs page', 'GET', '', undefined, 4)(r), path: `/api/v1/music?limit=${r.int(1, 100)}` }),
  valid('get song', 'GET', '/api/v1/music/{{song}}', undefined, 20),
  valid('get user', 'GET', '/api/v1/users/{{user}}', undefined, 8),
  valid('get playlist', 'GET', '/api/v1/playlists/{{playlist}}', undefined, 12),
  valid('create user', 'POST', '/api/v1/users', (r: Prng) => json(person(r)), 3),
  valid('create song', 'POST', '/api/v1/music', (r: Prng) => json(song(r)), 2),
  valid('create playlist', 'POST', '/api/v1/playlists', (r: Prng) => json({ name: playlistName(r), owner: '{{user}}' }), 2),
  valid('rename user', 'PATCH', '/api/v1/users/{{user}}', (r: Prng) => json({ fname: person(r).fname }), 2),
  valid('rename playlist', 'PATCH', '/api/v1/playlists/{{playlist}}', (r: Prng) => json({ name: playlistName(r) }), 2),
  valid('add song to playlist', 'POST', '/api/v1/playlists/{{playlist}}/songs', { songId: '{{song}}' }, 2),
  // was GET /healthz, which the proxy's public port no longer serves: same draws, another cheap read
  valid('list users', 'GET', '/api/v1/users?limit=20', undefined, 1),
  // RFC 8259 defines no charset for JSON, so a server may ignore the parameter: valid, not invalid
  (r) => ({ ...valid('create user, charset parameter', 'POST', '/api/v1/users', (r: Prng) => json(person(r)), 1)(r), headers: { ...headerMix(r), 'content-type': r.pick(['application/json; charset=utf-8', 'application/json;charset=UTF-8']), [IDEMPOTENCY_KEY]: FRESH_KEY } }),
];

/** Every invalid kind: each must get a 4xx from a correct app, never a 5xx. */
export const INVALID_KINDS: Kind[] = [
  invalid('song by bad id', 'GET', (r) => `/api/v1/music/${badId(r)}`, null, {}),
  invalid('user by bad id', 'GET', (r) => `/api/v1/users/${badId(r)}`, null, {}),
  invalid('playlist by bad id', 'GET', (r) => `/api/v1/playlists/${badId(r)}`, null, {}),
  invalid('delete unknown song', 'DELETE', (r) => `/api/v1/music/${r.pick(BAD_IDS.slice(0, 3))}`, null, {}),
  invalid('delete unknown playlist', 'DELETE', (r) => `/api/v1/playlists/${r.pick(BAD_IDS.slice(0, 3))}`, null, {}),
  invalid('user malformed JSON', 'POST', '/api/v1/users', (r) => r.pick(['{"fname":"ada","lname":', 'not json', '{fname: "ada"}', '{"fname":"ada",}'])),
  invalid('user empty body', 'POST', '/api/v1/users', ''),
  invalid('user body not an object', 'POST', '/api/v1/users', (r) => r.pick(['[]', 'null', '"ada"', '42', 'true'])),
  invalid('user wrong types', 'POST', '/api/v1/users', (r) => json(r.pick([{ fname: 1, lname: true, email: [] }, { fname: 'ada', lname: 'lovelace', email: 7 }, { fname: {}, lname: 'x', email: 'a@b.co' }]))),
  invalid('user missing fields', 'POST', '/api/v1/users', (r) => json(r.pick([{}, { fname: 'ada' }, { fname: 'ada', lname: 'lovelace' }]))),
  invalid('user unknown field', 'POST', '/api/v1/users', (r) => json({ ...person(r), admin: true })),
  invalid('user bad email', 'POST', '/api/v1/users', (r) => json({ ...person(r), email: r.pick(['not-an-email', '@', 'a@', '']) })),
  invalid('user oversized body', 'POST', '/api/v1/users', '{"fname":"{{pad:2097152}}","lname":"x","email":"x@example.com"}'),
  invalid('user oversized field', 'POST', '/api/v1/users', '{"fname":"{{pad:5000}}","lname":"x","email":"x@example.com"}'),
  invalid('user text/plain body', 'POST', '/api/v1/users', (r) => json(person(r)), { 'content-type': 'text/plain' }),
  invalid('user gzip that is not gzip', 'POST', '/api/v1/users', (r) => json(person(r)), { 'content-type': 'application/json', 'content-encoding': 'gzip' }),
  invalid('user unknown content-encoding', 'POST', '/api/v1/users', (r) => json(person(r)), { 'content-type': 'application/json', 'content-encoding': 'x-shoal-unknown' }),
  invalid('patch user wrong type', 'PATCH', '/api/v1/users/{{user}}', (r) => json(r.pick([{ email: 12 }, { fname: null }, {}]))),
  invalid('song wrong types', 'POST', '/api/v1/music', (r) => json(r.pick([{ artist: 5, title: 'x' }, { artist: 'x', title: 'y', instruments: 'guitar' }, { artist: 'x', title: ['y'] }]))),
  invalid('song missing title', 'POST', '/api/v1/music', (r) => json({ artist: song(r).artist })),
  invalid('song blank fields', 'POST', '/api/v1/music', '{"artist":"   ","title":""}'),
  invalid('playlist wrong types', 'POST', '/api/v1/playlists', (r) => json(r.pick([{ name: 42 }, { name: 'x', songs: 'all' }, { name: 'x', owner: 7 }]))),
  invalid('playlist bad owner id', 'POST', '/api/v1/playlists', (r) => json({ name: playlistName(r), owner: 'not-a-uuid' })),
  invalid('playlist rename wrong type', 'PATCH', '/api/v1/playlists/{{playlist}}', (r) => json(r.pick([{ name: 123 }, { name: null }, { title: 'x' }]))),
  invalid('add bad song id', 'POST', '/api/v1/playlists/{{playlist}}/songs', (r) => json(r.pick([{ songId: 12 }, { songId: 'not-a-uuid' }, {}]))),
  invalid('add song to unknown playlist', 'POST', '/api/v1/playlists/00000000-0000-4000-8000-000000000000/songs', '{"songId":"{{song}}"}'),
  invalid('list songs bad limit', 'GET', (r) => `/api/v1/music?limit=${r.pick(['abc', '-5', '0', '1e9', '%00'])}`, null, {}),
  invalid('list songs bad cursor', 'GET', (r) => `/api/v1/music?cursor=${r.pick(['garbage', '%7B%7D', 'eyJub3QiOiJhIGN1cnNvciJ9', '!!!'])}`, null, {}),
  invalid('unknown route', 'GET', (r) => r.pick(['/api/v1/nope', '/api/v2/music', '/api/v1/music/x/y/z', '/api/v1/users/../../admin']), null, {}),
  invalid('method not allowed', 'PUT', (r) => r.pick(['/api/v1/music', '/api/v1/music/{{song}}', '/api/v1/users']), '{}'),
];
