import Router from '@koa/router';
import { notFound, unknownReference } from '../errors.js';
import { newPlaylist, playlistPatch, playlistSong } from '../model.js';
import type { SongEdit } from '../store/playlists.js';
import type { Stores } from '../store/index.js';
import { storesOf } from '../http/request-stores.js';
import { acceptsBody, acceptsNoBody } from '../http/accepts.js';
import { pathId, query } from '../http/validate.js';
import { pageQuery } from './page-query.js';

export function playlistRoutes(): Router {
  const r = new Router({ prefix: '/playlists' });
  const create = acceptsBody(newPlaylist);
  const patch = acceptsBody(playlistPatch);
  const addSong = acceptsBody(playlistSong);

  // Referenced users and songs must exist when the playlist is written.
  const checkOwner = async ({ users }: Stores, owner: string | undefined) => {
    if (owner && !(await users.get(owner))) throw unknownReference('owner: user', owner);
  };
  const checkSongs = async ({ music }: Stores, songs: string[]) => {
    if (songs.length === 0) return;
    const found = await music.getMany(songs);
    const missing = songs.find((s) => !found.has(s));
    if (missing) throw unknownReference('song', missing);
  };
  const edited = (id: string, edit: SongEdit) => {
    if (edit.kind === 'missing') throw notFound('playlist', id);
    return edit.playlist;
  };

  r.get('/', async (ctx) => {
    const { limit, cursor } = query(pageQuery, ctx.query);
    ctx.body = await storesOf(ctx).playlists.page(limit, cursor);
  });

  r.post('/', create, async (ctx) => {
    const input = create.of(ctx);
    const songs = input.songs ?? [];
    const stores = storesOf(ctx);
    await Promise.all([checkOwner(stores, input.owner), checkSongs(stores, songs)]);
    const playlist = await stores.playlists.create({ name: input.name, owner: input.owner, songs });
    ctx.status = 201;
    ctx.set('Location', `/api/v1/playlists/${playlist.id}`);
    ctx.body = playlist;
  });

  r.get('/:id', async (ctx) => {
    const id = pathId(ctx.params.id, 'playlist id');
    const playlist = await storesOf(ctx).playlists.get(id);
    if (!playlist) throw notFound('playlist', id);
    ctx.body = playlist;
  });

  r.patch('/:id', patch, async (ctx) => {
    const id = pathId(ctx.params.id, 'playlist id');
    const { name } = patch.of(ctx);
    const playlist = await storesOf(ctx).playlists.rename(id, name);
    if (!playlist) throw notFound('playlist', id);
    ctx.body = playlist;
  });

  r.delete('/:id', acceptsNoBody, async (ctx) => {
    const id = pathId(ctx.params.id, 'playlist id');
    if (!(await storesOf(ctx).playlists.delete(id))) throw notFound('playlist', id);
    ctx.status = 204;
  });

  r.post('/:id/songs', addSong, async (ctx) => {
    const id = pathId(ctx.params.id, 'playlist id');
    const { songId } = addSong.of(ctx);
    const stores = storesOf(ctx);
    if (!(await stores.playlists.get(id))) throw notFound('playlist', id);
    await checkSongs(stores, [songId]);
    ctx.body = edited(id, await stores.playlists.addSong(id, songId));
  });

  r.delete('/:id/songs/:songId', acceptsNoBody, async (ctx) => {
    const id = pathId(ctx.params.id, 'playlist id');
    const songId = pathId(ctx.params.songId, 'song id');
    const edit = await storesOf(ctx).playlists.removeSong(id, songId);
    if (edit.kind === 'unchanged') throw notFound(`song ${songId} in playlist`, id);
    ctx.body = edited(id, edit);
  });

  return r;
}
