import Router from '@koa/router';
import type { TokenService } from '../auth/tokens.js';
import { openApiRoutes } from '../routes/openapi.js';
import { compatMusicRoutes } from './music.js';
import { compatPlaylistRoutes } from './playlists.js';
import { compatUserRoutes } from './users.js';

/** The course system's API on shoal's tables, served only to requests from the proxy's compat port. */
export function compatRouter(tokens: TokenService): Router {
  const api = new Router();
  api.use(compatUserRoutes(tokens).routes(), compatMusicRoutes().routes(), compatPlaylistRoutes().routes(), openApiRoutes(async () => (await import('../openapi/compat.js')).compatOpenApi).routes());
  const root = new Router();
  root.use('/api/v1', api.routes());
  return root;
}
