import type { Context } from 'koa';

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(ctx: Context): string | undefined {
  const m = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(ctx.get('authorization'));
  return m?.[1];
}
