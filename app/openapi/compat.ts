import { errorResponse, errorSchema, idParam, json, op, ref, str, type Schema } from './parts.js';

// The course system's API (served on the proxy's --compat-port) as OpenAPI 3.1; the test
// checks it against the compat routes the app registers, as it does shoal's own document.

const E = { 400: errorResponse('bad input (the original music service answered 600 here)'), 401: errorResponse('missing auth'), 404: errorResponse('no such id') };
const items = (item: string): Schema => ({ type: 'object', required: ['Count', 'Items'], properties: { Count: { type: 'integer' }, Items: { type: 'array', items: ref(item) } } });
const created = (field: string): Schema => ({ type: 'object', required: [field], properties: { [field]: str({ format: 'uuid' }) } });
const id = (what: string) => idParam('id', `${what} id`, str());
const empty = json({ type: 'object' }, 'done');
const songRef: Schema = { type: 'object', required: ['music_id'], properties: { music_id: str() } };
const T = (tag: string) => [tag];

const schemas: Record<string, Schema> = {
  Error: errorSchema,
  Song: { type: 'object', required: ['Artist', 'SongTitle'], properties: { music_id: str(), Artist: str(), SongTitle: str() } },
  User: { type: 'object', required: ['fname', 'lname', 'email'], properties: { user_id: str(), fname: str(), lname: str(), email: str() } },
  Playlist: {
    description: 'one of three shapes; reads answer in the shape the playlist was created in, songs always as a list',
    oneOf: [
      { type: 'object', required: ['Name'], properties: { playlist_id: str(), Name: str(), Playlist: { oneOf: [str({ description: 'comma-separated song ids (create)' }), { type: 'array', items: str() }] } } },
      { type: 'object', required: ['ListName'], properties: { playlist_id: str(), ListName: str(), Songs: { type: 'array', items: str() } } },
      { type: 'object', required: ['PlayListName'], properties: { playlist_id: str(), PlayListName: str(), Songs: { type: 'array', items: str() } } },
    ],
  },
};

const crud = (tag: string, one: string, idField: string) => ({
  [`/api/v1/${tag}/`]: {
    get: op(`${tag}List`, { summary: `every ${tag} (up to 1000)`, tags: T(tag), responses: { 200: json(items(one), 'all'), 401: E[401] } }),
    post: op(`${tag}Create`, { summary: `create a ${tag}`, tags: T(tag), body: ref(one), responses: { 200: json(created(idField), 'created'), 400: E[400], 401: E[401] } }),
  },
  [`/api/v1/${tag}/{id}`]: {
    get: op(`${tag}Read`, { summary: `read a ${tag}`, tags: T(tag), params: [id(tag)], responses: { 200: json(items(one), 'found'), 401: E[401], 404: E[404] } }),
    put: op(`${tag}Update`, { summary: `update a ${tag}`, tags: T(tag), params: [id(tag)], body: ref(one), responses: { 200: json(items(one), 'updated'), 400: E[400], 401: E[401], 404: E[404] } }),
    delete: op(`${tag}Delete`, { summary: `delete a ${tag}`, tags: T(tag), params: [id(tag)], responses: { 200: empty, 401: E[401], 404: E[404] } }),
  },
});
const songOp = (name: string, summary: string) =>
  op(name, { summary, tags: T('playlist'), params: [id('playlist')], body: songRef, responses: { 200: json(items('Playlist'), 'the playlist'), 400: E[400], 401: E[401], 404: E[404] } });

export const compatOpenApi = {
  openapi: '3.1.0',
  info: {
    title: 'course system API (compatibility)',
    version: '1',
    description: "The CMPT 756 course services' API on shoal's tables, served on the proxy's --compat-port. Every route but login and logoff needs an Authorization header (any value; a /login token with --compat-auth strict).",
  },
  components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  security: [{ bearer: [] }],
  paths: {
    ...crud('user', 'User', 'user_id'),
    ...crud('music', 'Song', 'music_id'),
    ...crud('playlist', 'Playlist', 'playlist_id'),
    '/api/v1/user/login': {
      put: op('userLogin', {
        summary: 'a token for a user id (the bare token as the body)',
        tags: T('user'),
        security: [{}],
        body: { type: 'object', required: ['uid'], properties: { uid: str() } },
        responses: { 200: { description: 'the token', content: { 'text/plain': { schema: str() } } }, 400: E[400], 404: E[404] },
      }),
    },
    '/api/v1/user/logoff': {
      put: op('userLogoff', { summary: 'log off (a valid token is revoked)', tags: T('user'), security: [{}], body: { type: 'object', required: ['jwt'], properties: { jwt: str() } }, responses: { 200: empty, 400: E[400] } }),
    },
    '/api/v1/playlist/{id}/add': { post: songOp('playlistAdd', 'append a song') },
    '/api/v1/playlist/{id}/delete': { post: songOp('playlistRemove', 'remove a song') },
    '/api/v1/playlist/add_song_to_list/{id}': { put: songOp('playlistAddToList', 'append a song') },
    '/api/v1/playlist/delete_song_from_list/{id}': { put: songOp('playlistRemoveFromList', 'remove a song') },
    '/api/v1/openapi.json': { get: op('openapi', { summary: 'this document', tags: T('ops'), security: [{}], responses: { 200: json({ type: 'object' }, 'OpenAPI 3.1') } }) },
  },
};
