import SwaggerParser from '@apidevtools/swagger-parser';
import t from 'tap';
import { compatOpenApi } from '../../app/openapi/compat.js';
import { shoalOpenApi } from '../../app/openapi/shoal.js';
import { startApp } from '../../app/server.js';
import { createLogger } from '../../lib/log.js';
import { COMPAT_HEADER } from '../../lib/compat-header.js';
import type Router from '@koa/router';
import { compatRouter } from '../../app/compat/router.js';
import { shoalRouter } from '../../app/http/koa-app.js';
import { testDynalite } from '../helpers/dynalite.js';
import { testRedis } from '../helpers/redis.js';

// Both OpenAPI documents are valid 3.1, are what the app serves, and list exactly the routes
// the app registers: none missing, none extra.

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'];
/** The router serves a collection with and without its trailing slash; the course API documents it with one. */
const bare = (path: string) => path.replace(/(.)\/$/, '$1');

/** `METHOD /path/{param}` for every route a router holds (HEAD, which Koa adds to GET, left out). */
function registered(router: Router): string[] {
  const out = new Set<string>();
  for (const layer of router.stack) {
    const path = bare(String(layer.path).replace(/:(\w+)/g, '{$1}'));
    for (const m of layer.methods) if (m !== 'HEAD') out.add(`${m} ${path}`);
  }
  return [...out].sort();
}

// Routes are registered without touching their dependencies: placeholders are enough to list them.
const stub = {} as never;
const routes = {
  shoal: registered(shoalRouter({ readiness: stub, metrics: stub, auth: stub })),
  compat: registered(compatRouter(stub)),
};

function documented(doc: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).filter((m) => METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${bare(path)}`))
    .sort();
}

for (const [name, doc] of [['shoal', shoalOpenApi], ['compat', compatOpenApi]] as const) {
  t.test(`${name}: a valid OpenAPI 3.1 document`, async (t) => {
    const api = await SwaggerParser.validate(structuredClone(doc) as never);
    t.equal((api as { openapi: string }).openapi, '3.1.0');
  });
}

t.test('the documents list exactly the registered routes', async (t) => {
  t.same(documented(shoalOpenApi), routes.shoal, "shoal's API");
  t.same(documented(compatOpenApi), routes.compat, 'the course API');
});

t.test('served at /api/v1/openapi.json, on each port its own', async (t) => {
  const redis = await testRedis(t.teardown);
  const db = await testDynalite(t.teardown);
  const app = await startApp({ port: 0, redisUrl: redis.url, prefix: redis.prefix, dynamodb: { kind: 'endpoint', url: db.endpoint }, createTables: true }, { log: createLogger('test', 'silent') });
  t.teardown(() => app.close());
  t.same(await (await fetch(`${app.url}/api/v1/openapi.json`)).json(), shoalOpenApi);
  t.same(await (await fetch(`${app.url}/api/v1/openapi.json`, { headers: { [COMPAT_HEADER]: '1' } })).json(), compatOpenApi);
});
