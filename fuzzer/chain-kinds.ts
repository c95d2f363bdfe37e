import type { Prng } from './prng.js';
import type { Chain, ChainStep } from './templates.js';
import { FRESH_KEY, IDEMPOTENCY_KEY } from './templates.js';
import { headerMix, person, playlistName, song } from './vocabulary.js';

/**
 * Stateful chains: ordered steps that pass ids along as `{{chain.NAME}}`. Every valid
 * DELETE here targets an id its own chain created, so a run never empties the catalogue.
 */
export type ChainDraft = Omit<Chain, 'id'>;

const JSON_CT = { 'content-type': 'application/json' };

function step(name: string, method: ChainStep['method'], path: string, body: unknown, r: Prng, save: Record<string, string> = {}, cls: ChainStep['class'] = 'valid'): ChainStep {
  return {
    name,
    method,
    path,
    headers: { ...headerMix(r), ...(body === undefined ? {} : JSON_CT), ...(method === 'POST' ? { [IDEMPOTENCY_KEY]: FRESH_KEY } : {}) },
    body: body === undefined ? null : JSON.stringify(body),
    class: cls,
    save,
  };
}

export const CHAIN_KINDS: ((r: Prng) => ChainDraft)[] = [
  (r) => ({
    name: 'playlist lifecycle',
    weight: 3,
    steps: [
      step('create owner', 'POST', '/api/v1/users', person(r), r, { user: 'id' }),
      step('create playlist', 'POST', '/api/v1/playlists', { name: playlistName(r), owner: '{{chain.user}}' }, r, { playlist: 'id' }),
      step('add song', 'POST', '/api/v1/playlists/{{chain.playlist}}/songs', { songId: '{{song}}' }, r),
      step('read playlist', 'GET', '/api/v1/playlists/{{chain.playlist}}', undefined, r),
      step('rename playlist', 'PATCH', '/api/v1/playlists/{{chain.playlist}}', { name: playlistName(r) }, r),
      step('delete playlist', 'DELETE', '/api/v1/playlists/{{chain.playlist}}', undefined, r),
      step('delete owner', 'DELETE', '/api/v1/users/{{chain.user}}', undefined, r),
    ],
  }),
  (r) => ({
    name: 'user lifecycle',
    weight: 2,
    steps: [
      step('create user', 'POST', '/api/v1/users', person(r), r, { user: 'id' }),
      step('read user', 'GET', '/api/v1/users/{{chain.user}}', undefined, r),
      step('update email', 'PATCH', '/api/v1/users/{{chain.user}}', { email: person(r).email }, r),
      step('delete user', 'DELETE', '/api/v1/users/{{chain.user}}', undefined, r),
      step('read deleted user', 'GET', '/api/v1/users/{{chain.user}}', undefined, r, {}, 'invalid'),
    ],
  }),
  (r) => ({
    name: 'song lifecycle',
    weight: 1,
    steps: [
      step('create song', 'POST', '/api/v1/music', song(r), r, { song: 'id' }),
      step('read song', 'GET', '/api/v1/music/{{chain.song}}', undefined, r),
      step('delete song', 'DELETE', '/api/v1/music/{{chain.song}}', undefined, r),
      step('read deleted song', 'GET', '/api/v1/music/{{chain.song}}', undefined, r, {}, 'invalid'),
    ],
  }),
  (r) => ({
    name: 'playlist songs add and remove',
    weight: 2,
    steps: [
      step('create song', 'POST', '/api/v1/music', song(r), r, { song: 'id' }),
      step('create playlist', 'POST', '/api/v1/playlists', { name: playlistName(r), songs: ['{{chain.song}}'] }, r, { playlist: 'id' }),
      step('add catalogue song', 'POST', '/api/v1/playlists/{{chain.playlist}}/songs', { songId: '{{song}}' }, r),
      step('remove own song', 'DELETE', '/api/v1/playlists/{{chain.playlist}}/songs/{{chain.song}}', undefined, r),
      step('read playlist', 'GET', '/api/v1/playlists/{{chain.playlist}}', undefined, r),
      step('delete playlist', 'DELETE', '/api/v1/playlists/{{chain.playlist}}', undefined, r),
      step('delete song', 'DELETE', '/api/v1/music/{{chain.song}}', undefined, r),
    ],
  }),
];
