import Router from '@koa/router';
import { notFound } from '../errors.js';
import { newUser, userPatch } from '../model.js';
import type { Stores } from '../store/index.js';
import { body, pathId, query } from '../http/validate.js';
import { pageQuery } from './page-query.js';

export function userRoutes({ users }: Stores): Router {
  const r = new Router({ prefix: '/users' });

  r.get('/', async (ctx) => {
    const { limit, cursor } = query(pageQuery, ctx.query);
    ctx.body = await users.page(limit, cursor);
  });

  r.post('/', async (ctx) => {
    const user = await users.create(body(newUser, ctx.state.body));
    ctx.status = 201;
    ctx.set('Location', `/api/v1/users/${user.id}`);
    ctx.body = user;
  });

  r.get('/:id', async (ctx) => {
    const id = pathId(ctx.params.id, 'user id');
    ctx.body = (await users.get(id)) ?? notFoundError(id);
  });

  r.patch('/:id', async (ctx) => {
    const id = pathId(ctx.params.id, 'user id');
    ctx.body = (await users.update(id, body(userPatch, ctx.state.body))) ?? notFoundError(id);
  });

  r.delete('/:id', async (ctx) => {
    const id = pathId(ctx.params.id, 'user id');
    if (!(await users.delete(id))) notFoundError(id);
    ctx.status = 204;
  });

  return r;
}

function notFoundError(id: string): never {
  throw notFound('user', id);
}
