import Router from '@koa/router';
import { notFound } from '../errors.js';
import { newSong } from '../model.js';
import type { Stores } from '../store/index.js';
import { body, pathId, query } from '../http/validate.js';
import { pageQuery } from './page-query.js';

export function musicRoutes({ music }: Stores): Router {
  const r = new Router({ prefix: '/music' });

  r.get('/', async (ctx) => {
    const { limit, cursor } = query(pageQuery, ctx.query);
    ctx.body = await music.page(limit, cursor);
  });

  r.post('/', async (ctx) => {
    const song = await music.create(body(newSong, ctx.state.body));
    ctx.status = 201;
    ctx.set('Location', `/api/v1/music/${song.id}`);
    ctx.body = song;
  });

  r.get('/:id', async (ctx) => {
    const id = pathId(ctx.params.id, 'song id');
    const song = await music.get(id);
    if (!song) throw notFound('song', id);
    ctx.body = song;
  });

  r.delete('/:id', async (ctx) => {
    const id = pathId(ctx.params.id, 'song id');
    if (!(await music.delete(id))) throw notFound('song', id);
    ctx.status = 204;
  });

  return r;
}
