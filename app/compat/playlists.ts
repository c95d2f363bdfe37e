import Router from '@koa/router';
import { badRequest, notFound } from '../errors.js';
import { accepts, acceptsBody, acceptsNoBody } from '../http/accepts.js';
import { storesOf } from '../http/request-stores.js';
import type { PlaylistStore, SongEdit } from '../store/playlists.js';
import { listAll } from './list-all.js';
import { compatId, isShape, items, parsePlaylist, playlistItem, songRef } from './shapes.js';

/**
 * The course teams' playlist services in one: three body shapes, and two ways to add and
 * remove a song (`/<id>/add`, `/<id>/delete` and `/add_song_to_list/<id>`, `/delete_song_from_list/<id>`).
 */
export function compatPlaylistRoutes(): Router {
  const r = new Router({ prefix: '/playlist' });
  const find = async (playlists: PlaylistStore, raw: string | undefined) => {
    const id = compatId(raw);
    const found = id && (await playlists.getShaped(id));
    if (!found) throw notFound('playlist', String(raw));
    return found;
  };
  const answer = (edit: SongEdit, raw: string | undefined, shape: string | undefined) => {
    if (edit.kind === 'missing') throw notFound('playlist', String(raw));
    return items([playlistItem(edit.playlist, shape)]);
  };
  const song = acceptsBody(songRef);
  const addSong = async (playlists: PlaylistStore, raw: string | undefined, music_id: string) => {
    const { playlist, shape } = await find(playlists, raw);
    return answer(await playlists.addSong(playlist.id, music_id), raw, shape);
  };
  const removeSong = async (playlists: PlaylistStore, raw: string | undefined, music_id: string) => {
    const { playlist, shape } = await find(playlists, raw);
    return answer(await playlists.removeSong(playlist.id, music_id), raw, shape);
  };

  r.get('/', async (ctx) => {
    const { playlists } = storesOf(ctx);
    const all = await listAll((limit, cursor) => playlists.pageShaped(limit, cursor));
    ctx.body = items(all.map((p) => playlistItem(p.playlist, p.shape)));
  });

  const create = accepts((raw) => {
    const input = parsePlaylist(raw);
    if (input.name === undefined) throw badRequest(`${input.shape} is required`, 'SHOAL_ERR_VALIDATION');
    return { ...input, name: input.name };
  });

  r.post('/', create, async (ctx) => {
    const { shape, name, songs } = create.of(ctx);
    const playlist = await storesOf(ctx).playlists.create({ name, songs: songs ?? [], shape });
    ctx.body = { playlist_id: playlist.id };
  });

  r.put('/add_song_to_list/:id', song, async (ctx) => {
    ctx.body = await addSong(storesOf(ctx).playlists, ctx.params.id, song.of(ctx).music_id);
  });
  r.put('/delete_song_from_list/:id', song, async (ctx) => {
    ctx.body = await removeSong(storesOf(ctx).playlists, ctx.params.id, song.of(ctx).music_id);
  });
  r.post('/:id/add', song, async (ctx) => {
    ctx.body = await addSong(storesOf(ctx).playlists, ctx.params.id, song.of(ctx).music_id);
  });
  r.post('/:id/delete', song, async (ctx) => {
    ctx.body = await removeSong(storesOf(ctx).playlists, ctx.params.id, song.of(ctx).music_id);
  });

  r.get('/:id', async (ctx) => {
    const { playlist, shape } = await find(storesOf(ctx).playlists, ctx.params.id);
    ctx.body = items([playlistItem(playlist, shape)]);
  });

  // Renames and/or replaces the song list, in the shape the playlist was made in (known
  // only once the playlist is read, so its body is checked in the handler).
  r.put('/:id', acceptsNoBody, async (ctx) => {
    const { playlists } = storesOf(ctx);
    const { playlist, shape } = await find(playlists, ctx.params.id);
    const change = parsePlaylist(ctx.state.body, isShape(shape) ? shape : 'Name');
    let current = playlist;
    if (change.name !== undefined) current = (await playlists.rename(playlist.id, change.name)) ?? notFoundPlaylist(ctx.params.id);
    if (change.songs !== undefined) {
      const edit = await playlists.setSongs(playlist.id, change.songs);
      if (edit.kind === 'missing') notFoundPlaylist(ctx.params.id);
      current = edit.playlist;
    }
    ctx.body = items([playlistItem(current, shape)]);
  });

  r.delete('/:id', acceptsNoBody, async (ctx) => {
    const { playlists } = storesOf(ctx);
    const { playlist } = await find(playlists, ctx.params.id);
    if (!(await playlists.delete(playlist.id))) notFoundPlaylist(playlist.id);
    ctx.body = {};
  });

  return r;
}

function notFoundPlaylist(id: string | undefined): never {
  throw notFound('playlist', String(id));
}
