import Router from '@koa/router';
import { notFound, unknownReference } from '../errors.js';
import { newPlaylist, playlistPatch, playlistSong } from '../model.js';
import type { SongEdit } from '../store/playlists.js';
import type { Stores } from '../store/index.js';
import { body, pathId, query } from '../http/validate.js';
import { pageQuery } from './page-query.js';

export function playlistRoutes({ users, music, playlists }: Stores): Router {
  const r = new Router({ prefix: '/playlists' });

  // Referenced users and songs must exist when the playlist is written.
  const checkOwner = async (owner: string | undefined) => {
    if (owner && !(await users.get(owner))) throw unknownReference('owner: user', owner);
  };
  const checkSongs = async (songs: string[]) => {
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
    ctx.body = await playlists.page(limit, cursor);
  });

  r.post('/', async (ctx) => {
    const input = body(newPlaylist, ctx.state.body);
    const songs = input.songs ?? [];
    await Promise.all([checkOwner(input.owner), checkSongs(songs)]);
    const playlist = await playlists.create({ name: input.name, owner: input.owner, songs });
    ctx.status = 201;
    ctx.set('Location', `/api/v1/playlists/${playlist.id}`);
    ctx.body = playlist;
  });

  r.get('/:id', async (ctx) => {
    const id = pathId(ctx.params.id, 'playlist id');
    const playlist = await playlists.get(id);
    if (!playlist) throw notFound('playlist', id);
    ctx.body = playlist;
  });

  r.patch('/:id', async (ctx) => {
    const id = pathId(ctx.params.id, 'playlist id');
    const { name } = body(playlistPatch, ctx.state.body);
    const playlist = await playlists.rename(id, name);
    if (!playlist) throw notFound('playlist', id);
    ctx.body = playlist;
  });

  r.delete('/:id', async (ctx) => {
    const id = pathId(ctx.params.id, 'playlist id');
    if (!(await playlists.delete(id))) throw notFound('playlist', id);
    ctx.status = 204;
  });

  r.post('/:id/songs', async (ctx) => {
    const id = pathId(ctx.params.id, 'playlist id');
    const { songId } = body(playlistSong, ctx.state.body);
    if (!(await playlists.get(id))) throw notFound('playlist', id);
    await checkSongs([songId]);
    ctx.body = edited(id, await playlists.addSong(id, songId));
  });

  r.delete('/:id/songs/:songId', async (ctx) => {
    const id = pathId(ctx.params.id, 'playlist id');
    const songId = pathId(ctx.params.songId, 'song id');
    const edit = await playlists.removeSong(id, songId);
    if (edit.kind === 'unchanged') throw notFound(`song ${songId} in playlist`, id);
    ctx.body = edited(id, edit);
  });

  return r;
}
