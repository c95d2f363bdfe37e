import Router from '@koa/router';
import { notFound } from '../errors.js';
import { newSong } from '../model.js';
import { storesOf } from '../http/request-stores.js';
import { acceptsBody, acceptsNoBody } from '../http/accepts.js';
import { pathId, query } from '../http/validate.js';
import { pageQuery } from './page-query.js';
import { similarSongs } from '../similar-songs.js';
import { z } from 'zod';

const MAX_SIMILAR = 50;
const similarQuery = z.object({
  limit: z.coerce
    .number({ error: `limit must be a whole number 1-${MAX_SIMILAR}` })
    .int({ error: `limit must be a whole number 1-${MAX_SIMILAR}` })
    .min(1, { error: `limit must be a whole number 1-${MAX_SIMILAR}` })
    .max(MAX_SIMILAR, { error: `limit must be a whole number 1-${MAX_SIMILAR}` })
    .default(10),
});

export function musicRoutes(): Router {
  const r = new Router({ prefix: '/music' });
  const create = acceptsBody(newSong);

  r.get('/', async (ctx) => {
    const { limit, cursor } = query(pageQuery, ctx.query);
    ctx.body = await storesOf(ctx).music.page(limit, cursor);
  });

  r.post('/', create, async (ctx) => {
    const song = await storesOf(ctx).music.create(create.of(ctx));
    ctx.status = 201;
    ctx.set('Location', `/api/v1/music/${song.id}`);
    ctx.body = song;
  });

  r.get('/:id', async (ctx) => {
    const id = pathId(ctx.params.id, 'song id');
    const song = await storesOf(ctx).music.get(id);
    if (!song) throw notFound('song', id);
    ctx.body = song;
  });

  r.get('/:id/similar', async (ctx) => {
    const id = pathId(ctx.params.id, 'song id');
    const { limit } = query(similarQuery, ctx.query);
    const stores = storesOf(ctx);
    if (!(await stores.music.get(id))) throw notFound('song', id);
    ctx.body = await similarSongs(stores, id, limit);
  });

  r.delete('/:id', acceptsNoBody, async (ctx) => {
    const id = pathId(ctx.params.id, 'song id');
    if (!(await storesOf(ctx).music.delete(id))) throw notFound('song', id);
    ctx.status = 204;
  });

  return r;
}
