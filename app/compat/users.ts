import Router from '@koa/router';
import { notFound } from '../errors.js';
import type { TokenService } from '../auth/tokens.js';
import { acceptsBody, acceptsNoBody } from '../http/accepts.js';
import { storesOf } from '../http/request-stores.js';
import type { UserStore } from '../store/users.js';
import { listAll } from './list-all.js';
import { compatId, compatUser, compatUserPatch, items, loginBody, logoffBody, userItem } from './shapes.js';

/** The course's user service, with its `/login` (a token for a user id) and `/logoff`. */
export function compatUserRoutes(tokens: TokenService): Router {
  const r = new Router({ prefix: '/user' });
  const logIn = acceptsBody(loginBody);
  const logOff = acceptsBody(logoffBody);
  const create = acceptsBody(compatUser);
  const update = acceptsBody(compatUserPatch);
  const find = async (users: UserStore, raw: string | undefined) => {
    const id = compatId(raw);
    const user = id && (await users.get(id));
    if (!user) throw notFound('user', String(raw));
    return user;
  };

  // Before `/:id`, which would otherwise take "login" for an id.
  r.put('/login', logIn, async (ctx) => {
    const { uid } = logIn.of(ctx);
    const user = await find(storesOf(ctx).users, uid);
    // The original answered the bare token as the body; its clients read it as text.
    ctx.type = 'text/plain';
    ctx.body = (await tokens.issue(user.id, 'shoal-compat')).token;
  });

  r.put('/logoff', logOff, async (ctx) => {
    const { jwt } = logOff.of(ctx);
    // The original accepted any value; a token that verifies is revoked as well.
    const session = await tokens.verify(jwt, ['shoal-compat', 'shoal']).catch(() => undefined);
    if (session) await tokens.revoke(session);
    ctx.body = {};
  });

  r.get('/', async (ctx) => {
    const { users } = storesOf(ctx);
    ctx.body = items((await listAll((limit, cursor) => users.page(limit, cursor))).map(userItem));
  });

  r.post('/', create, async (ctx) => {
    const user = await storesOf(ctx).users.create(create.of(ctx));
    ctx.body = { user_id: user.id };
  });

  r.get('/:id', async (ctx) => {
    ctx.body = items([userItem(await find(storesOf(ctx).users, ctx.params.id))]);
  });

  r.put('/:id', update, async (ctx) => {
    const patch = update.of(ctx);
    const { users } = storesOf(ctx);
    const user = await users.update((await find(users, ctx.params.id)).id, patch);
    if (!user) throw notFound('user', ctx.params.id!);
    ctx.body = items([userItem(user)]);
  });

  r.delete('/:id', acceptsNoBody, async (ctx) => {
    const { users } = storesOf(ctx);
    const user = await find(users, ctx.params.id);
    if (!(await users.delete(user.id))) throw notFound('user', user.id);
    ctx.body = {};
  });

  return r;
}
