import Router from '@koa/router';

/** Serves an API's OpenAPI document at `/openapi.json` (mounted under /api/v1). */
export function openApiRoutes(document: object): Router {
  const r = new Router();
  const text = JSON.stringify(document);
  r.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = text;
  });
  return r;
}
