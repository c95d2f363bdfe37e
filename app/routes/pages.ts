import Router from '@koa/router';
import { id as idSchema } from '../model.js';
import { renderNotFoundPage, renderSongPage } from '../pages/song-page.js';
import { similarSongs } from '../similar-songs.js';
import { storesOf } from '../http/request-stores.js';

const SIMILAR_SHOWN = 10;

/** Small HTML pages for people, beside the JSON API. */
export function pageRoutes(): Router {
  const r = new Router();
  r.get('/songs/:id', async (ctx) => {
    const stores = storesOf(ctx);
    const parsed = idSchema.safeParse(ctx.params.id);
    const song = parsed.success ? await stores.music.get(parsed.data) : undefined;
    ctx.type = 'html';
    // The page has no scripts and loads nothing from elsewhere; say so.
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    if (!song) {
      ctx.status = 404;
      ctx.body = renderNotFoundPage(ctx.params.id ?? '');
      return;
    }
    ctx.body = renderSongPage(song, await similarSongs(stores, song.id, SIMILAR_SHOWN));
  });
  return r;
}
