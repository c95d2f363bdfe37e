import Router from '@koa/router';

/**
 * Serves an API's OpenAPI document at `/openapi.json` (mounted under /api/v1). The document
 * is loaded and serialized on the first request, not at boot: few requests ever ask for it.
 */
export function openApiRoutes(load: () => Promise<object>): Router {
  const r = new Router();
  let text: Promise<string> | undefined;
  r.get('/openapi.json', async (ctx) => {
    text ??= load().then((doc) => JSON.stringify(doc));
    ctx.type = 'application/json';
    ctx.body = await text;
  });
  return r;
}
