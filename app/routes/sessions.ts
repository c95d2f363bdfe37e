import Router from '@koa/router';
import { z } from 'zod';
import { invalidCredentials, tooManyAttempts } from '../errors.js';
import { clientAddress } from '../auth/client-address.js';
import type { LoginGuard } from '../auth/login-guard.js';
import { requireSession } from '../auth/middleware.js';
import { dummyHash, verifyPassword } from '../auth/password.js';
import type { TokenService } from '../auth/tokens.js';
import { storesOf } from '../http/request-stores.js';
import { acceptsBody, acceptsNoBody } from '../http/accepts.js';

const login = z.strictObject({
  email: z.string({ error: 'email is required' }).min(1, { message: 'email is required' }).max(254, { message: 'email must be at most 254 characters' }),
  password: z.string({ error: 'password is required' }).min(1, { message: 'password is required' }).max(200, { message: 'password must be at most 200 characters' }),
});

/** Logging in (a signed bearer token for an email and password) and logging out (revoking it). */
export function sessionRoutes(tokens: TokenService, guard: LoginGuard): Router {
  const r = new Router({ prefix: '/sessions' });
  const logIn = acceptsBody(login);

  r.post('/', logIn, async (ctx) => {
    const { email, password } = logIn.of(ctx);
    const address = clientAddress(ctx);
    const verdict = await guard.check(email, address);
    if (!verdict.allowed) {
      ctx.set('Retry-After', String(verdict.retryAfterS));
      throw tooManyAttempts();
    }
    // An unknown email costs the same scrypt run as a wrong password and gets the same answer.
    const cred = await storesOf(ctx).credentials.find(email);
    const ok = await verifyPassword(password, cred?.hash ?? (await dummyHash()));
    if (!cred || !ok) {
      await guard.failed(email, address);
      throw invalidCredentials();
    }
    await guard.succeeded(email);
    const { token, expiresAt } = await tokens.issue(cred.userId);
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { token, tokenType: 'Bearer', expiresAt: new Date(expiresAt).toISOString(), userId: cred.userId };
  });

  r.delete('/current', acceptsNoBody, async (ctx) => {
    await tokens.revoke(await requireSession(ctx, tokens));
    ctx.status = 204;
  });

  return r;
}
