import Router from '@koa/router';
import { z } from 'zod';
import { notFound } from '../errors.js';
import { hashPassword } from '../auth/password.js';
import { newUser, userPatch } from '../model.js';
import { storesOf } from '../http/request-stores.js';
import { acceptsBody, acceptsNoBody } from '../http/accepts.js';
import { pathId, query } from '../http/validate.js';
import { pageQuery } from './page-query.js';

/** Sign-up: a user, optionally with a password to log in with (never stored in the user). */
const signUp = newUser.extend({
  password: z.string({ error: 'password must be a string' }).min(8, { message: 'password must be at least 8 characters' }).max(200, { message: 'password must be at most 200 characters' }).optional(),
});

export function userRoutes(): Router {
  const r = new Router({ prefix: '/users' });
  const create = acceptsBody(signUp);
  const patch = acceptsBody(userPatch);

  r.get('/', async (ctx) => {
    const { limit, cursor } = query(pageQuery, ctx.query);
    ctx.body = await storesOf(ctx).users.page(limit, cursor);
  });

  r.post('/', create, async (ctx) => {
    const { users, credentials } = storesOf(ctx);
    const { password, ...input } = create.of(ctx);
    const hash = password === undefined ? undefined : await hashPassword(password);
    const user = await users.create(input);
    if (hash) {
      try {
        await credentials.create(user.email, user.id, hash);
      } catch (err) {
        await users.delete(user.id);
        throw err;
      }
    }
    ctx.status = 201;
    ctx.set('Location', `/api/v1/users/${user.id}`);
    ctx.body = user;
  });

  r.get('/:id', async (ctx) => {
    const id = pathId(ctx.params.id, 'user id');
    ctx.body = (await storesOf(ctx).users.get(id)) ?? notFoundError(id);
  });

  r.patch('/:id', patch, async (ctx) => {
    const id = pathId(ctx.params.id, 'user id');
    ctx.body = (await storesOf(ctx).users.update(id, patch.of(ctx))) ?? notFoundError(id);
  });

  r.delete('/:id', acceptsNoBody, async (ctx) => {
    const id = pathId(ctx.params.id, 'user id');
    const { users, credentials } = storesOf(ctx);
    const user = await users.get(id);
    if (!user || !(await users.delete(id))) notFoundError(id);
    // The login goes with its user (only if it is this user's: emails can change).
    const cred = await credentials.find(user.email);
    if (cred?.userId === id) await credentials.delete(cred.id);
    ctx.status = 204;
  });

  return r;
}

function notFoundError(id: string): never {
  throw notFound('user', id);
}
