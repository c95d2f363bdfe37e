import Router from '@koa/router';
import { notFound } from '../errors.js';
import { acceptsBody, acceptsNoBody } from '../http/accepts.js';
import { storesOf } from '../http/request-stores.js';
import type { MusicStore } from '../store/music.js';
import { listAll } from './list-all.js';
import { compatId, compatSong, compatSongPatch, items, songItem } from './shapes.js';

/** The course's music service: `/api/v1/music/` and `/api/v1/music/<id>`. */
export function compatMusicRoutes(): Router {
  const r = new Router({ prefix: '/music' });
  const create = acceptsBody(compatSong);
  const update = acceptsBody(compatSongPatch);
  const find = async (music: MusicStore, raw: string | undefined) => {
    const id = compatId(raw);
    const song = id && (await music.get(id));
    if (!song) throw notFound('song', String(raw));
    return song;
  };

  r.get('/', async (ctx) => {
    const { music } = storesOf(ctx);
    ctx.body = items((await listAll((limit, cursor) => music.page(limit, cursor))).map(songItem));
  });

  r.post('/', create, async (ctx) => {
    const { Artist, SongTitle } = create.of(ctx);
    const song = await storesOf(ctx).music.create({ artist: Artist, title: SongTitle });
    ctx.body = { music_id: song.id };
  });

  r.get('/:id', async (ctx) => {
    ctx.body = items([songItem(await find(storesOf(ctx).music, ctx.params.id))]);
  });

  r.put('/:id', update, async (ctx) => {
    const { Artist, SongTitle } = update.of(ctx);
    const { music } = storesOf(ctx);
    const song = await music.update((await find(music, ctx.params.id)).id, { artist: Artist, title: SongTitle });
    if (!song) throw notFound('song', ctx.params.id!);
    ctx.body = items([songItem(song)]);
  });

  r.delete('/:id', acceptsNoBody, async (ctx) => {
    const { music } = storesOf(ctx);
    const song = await find(music, ctx.params.id);
    if (!(await music.delete(song.id))) throw notFound('song', song.id);
    ctx.body = {};
  });

  return r;
}
