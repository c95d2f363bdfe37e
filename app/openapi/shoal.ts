import { errorResponse, errorSchema, idParam, json, op, ref, str, uuid, type Schema } from './parts.js';

// shoal's own API as OpenAPI 3.1. test/integration/openapi.test.ts validates it and checks
// that its paths and methods are exactly the routes the app registers.

const page = (item: string): Schema => ({ type: 'object', required: ['items', 'next'], properties: { items: { type: 'array', items: ref(item) }, next: { type: ['string', 'null'] } } });
const pageParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
  { name: 'cursor', in: 'query', schema: str(), description: 'the `next` value of the previous page' },
];
const E = {
  400: errorResponse('bad input'),
  401: errorResponse('a bearer token is required (see --auth)'),
  404: errorResponse('no such resource'),
  409: errorResponse('conflict'),
  422: errorResponse('a referenced user or song does not exist'),
  429: errorResponse('too many failed logins; see Retry-After'),
};
const stamp = { createdAt: str({ format: 'date-time' }), updatedAt: str({ format: 'date-time' }) };

const schemas: Record<string, Schema> = {
  Error: errorSchema,
  User: { type: 'object', required: ['id', 'fname', 'lname', 'email', 'createdAt', 'updatedAt'], properties: { id: uuid, fname: str(), lname: str(), email: str({ format: 'email' }), ...stamp } },
  NewUser: {
    type: 'object',
    additionalProperties: false,
    required: ['fname', 'lname', 'email'],
    properties: { fname: str({ maxLength: 100 }), lname: str({ maxLength: 100 }), email: str({ format: 'email' }), password: str({ minLength: 8, maxLength: 200, description: 'optional: lets the user log in (POST /api/v1/sessions)' }) },
  },
  UserPatch: { type: 'object', additionalProperties: false, minProperties: 1, properties: { fname: str(), lname: str(), email: str({ format: 'email' }) } },
  Song: { type: 'object', required: ['id', 'artist', 'title', 'instruments', 'createdAt'], properties: { id: uuid, artist: str(), title: str(), instruments: { type: 'array', items: str() }, createdAt: str({ format: 'date-time' }) } },
  NewSong: { type: 'object', additionalProperties: false, required: ['artist', 'title'], properties: { artist: str(), title: str(), instruments: { type: 'array', items: str(), maxItems: 50 } } },
  Playlist: { type: 'object', required: ['id', 'name', 'songs', 'createdAt', 'updatedAt'], properties: { id: uuid, name: str(), owner: uuid, songs: { type: 'array', items: str() }, ...stamp } },
  NewPlaylist: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: str(), owner: uuid, songs: { type: 'array', items: uuid, maxItems: 500 } } },
  PlaylistPatch: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: str() } },
  Login: { type: 'object', additionalProperties: false, required: ['email', 'password'], properties: { email: str(), password: str() } },
  Session: { type: 'object', required: ['token', 'tokenType', 'expiresAt', 'userId'], properties: { token: str(), tokenType: { const: 'Bearer' }, expiresAt: str({ format: 'date-time' }), userId: uuid } },
};

const open: unknown[] = [{}];
/** Reads are open unless the app runs with --auth all. */
const readAuth: unknown[] = [{}, { bearer: [] }];
const resource = (tag: string, one: string, many: string, write: { create: string; patch?: string }) => {
  const item = idParam('id', `${one} id`);
  return {
    [`/api/v1/${many}`]: {
      get: op(`list${tag}`, { summary: `a page of ${many}`, tags: [tag], security: readAuth, params: pageParams, responses: { 200: json(page(one), 'a page'), 400: E[400] } }),
      post: op(`create${one}`, {
        summary: `create a ${one.toLowerCase()}`,
        tags: [tag],
        body: ref(write.create),
        responses: { 201: json(ref(one), 'created'), 400: E[400], 401: E[401], ...(one === 'User' ? { 409: E[409] } : {}), ...(one === 'Playlist' ? { 422: E[422] } : {}) },
        ...(one === 'User' ? { security: open } : {}),
      }),
    },
    [`/api/v1/${many}/{id}`]: {
      get: op(`get${one}`, { summary: `one ${one.toLowerCase()}`, tags: [tag], security: readAuth, params: [item], responses: { 200: json(ref(one), 'found'), 400: E[400], 404: E[404] } }),
      ...(write.patch
        ? { patch: op(`update${one}`, { summary: `change a ${one.toLowerCase()}`, tags: [tag], params: [item], body: ref(write.patch), responses: { 200: json(ref(one), 'changed'), 400: E[400], 401: E[401], 404: E[404] } }) }
        : {}),
      delete: op(`delete${one}`, { summary: `delete a ${one.toLowerCase()}`, tags: [tag], params: [item], responses: { 204: { description: 'deleted' }, 401: E[401], 404: E[404] } }),
    },
  };
};
const text = (description: string) => ({ description, content: { 'text/plain': { schema: str() } } });

export const shoalOpenApi = {
  openapi: '3.1.0',
  info: { title: 'shoal music API', version: '1', description: 'Users, songs and playlists. Writes need a bearer token unless the app runs with --auth off; --auth all protects reads too.' },
  components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
  security: [{ bearer: [] }],
  paths: {
    '/healthz': { get: op('healthz', { summary: 'alive', tags: ['ops'], security: open, responses: { 200: json({ type: 'object' }, 'alive') } }) },
    '/readyz': { get: op('readyz', { summary: 'ready for traffic (DB reachable, not draining)', tags: ['ops'], security: open, responses: { 200: json({ type: 'object' }, 'ready'), 503: json({ type: 'object' }, 'not ready') } }) },
    '/metrics': { get: op('metrics', { summary: 'Prometheus metrics', tags: ['ops'], security: open, responses: { 200: text('Prometheus text format') } }) },
    ...resource('users', 'User', 'users', { create: 'NewUser', patch: 'UserPatch' }),
    ...resource('music', 'Song', 'music', { create: 'NewSong' }),
    ...resource('playlists', 'Playlist', 'playlists', { create: 'NewPlaylist', patch: 'PlaylistPatch' }),
    '/api/v1/music/{id}/similar': {
      get: op('similarSongs', {
        summary: 'songs that share instruments with this one, as `shoal ingest similar` last computed them',
        tags: ['music'],
        security: readAuth,
        params: [idParam('id', 'song id'), { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 50, default: 10 } }],
        responses: {
          200: json(
            {
              type: 'object',
              required: ['id', 'computedAt', 'items'],
              properties: {
                id: uuid,
                computedAt: { type: ['string', 'null'], format: 'date-time' },
                items: { type: 'array', items: { type: 'object', properties: { song: ref('Song'), score: { type: 'number' }, shared: { type: 'array', items: str() } } } },
              },
            },
            'the neighbours',
          ),
          400: E[400],
          404: E[404],
        },
      }),
    },
    '/songs/{id}': {
      get: op('songPage', {
        summary: 'a song and its similar songs as an HTML page, for people',
        tags: ['pages'],
        security: readAuth,
        params: [idParam('id', 'song id', str())],
        responses: { 200: { description: 'the page', content: { 'text/html': { schema: str() } } }, 404: { description: 'no such song', content: { 'text/html': { schema: str() } } } },
      }),
    },
    '/api/v1/playlists/{id}/songs': {
      post: op('addSong', {
        summary: 'append a song (adding one already there changes nothing)',
        tags: ['playlists'],
        params: [idParam('id', 'playlist id')],
        body: { type: 'object', additionalProperties: false, required: ['songId'], properties: { songId: uuid } },
        responses: { 200: json(ref('Playlist'), 'the playlist'), 401: E[401], 404: E[404], 409: E[409], 422: E[422] },
      }),
    },
    '/api/v1/playlists/{id}/songs/{songId}': {
      delete: op('removeSong', {
        summary: 'remove a song',
        tags: ['playlists'],
        params: [idParam('id', 'playlist id'), idParam('songId', 'song id')],
        responses: { 200: json(ref('Playlist'), 'the playlist'), 401: E[401], 404: E[404] },
      }),
    },
    '/api/v1/sessions': {
      post: op('login', { summary: 'log in: a bearer token for an email and password', tags: ['sessions'], security: open, body: ref('Login'), responses: { 201: json(ref('Session'), 'logged in'), 400: E[400], 401: E[401], 429: E[429] } }),
    },
    '/api/v1/sessions/current': {
      delete: op('logout', { summary: 'revoke the token this request carries', tags: ['sessions'], responses: { 204: { description: 'revoked' }, 401: E[401] } }),
    },
    '/api/v1/openapi.json': { get: op('openapi', { summary: 'this document', tags: ['ops'], security: open, responses: { 200: json({ type: 'object' }, 'OpenAPI 3.1') } }) },
  },
};
