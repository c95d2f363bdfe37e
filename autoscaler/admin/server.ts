import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { adminGuard } from '../../lib/admin-auth.js';
import { adminRouter, type AdminSource } from './router.js';

export interface AdminServer {
  url: string;
  close(): Promise<void>;
}

/** A plain node handler mounted before the routes (the dashboard's page and SSE feed); false = not mine. */
export type RawHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** The admin HTTP server (loopback by default, a token required elsewhere; port 0 picks a free one). */
export async function startAdmin(src: AdminSource, host: string, port: number, mounts: RawHandler[] = [], token?: string): Promise<AdminServer> {
  const allowed = adminGuard(token);
  const app = new Koa();
  const router = adminRouter(src);
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      ctx.status = 500;
      ctx.body = { error: { code: 'SHOAL_ERR_ADMIN', message: (err as Error).message } };
    }
    if (ctx.status === 404 && ctx.body === undefined) ctx.body = { error: { code: 'SHOAL_ERR_NOT_FOUND', message: `no route ${ctx.method} ${ctx.path}` } };
  });
  app.use(router.routes()).use(router.allowedMethods());
  const koa = app.callback();
  const server: Server = createServer((req, res) => {
    if (!allowed(req, res)) return;
    for (const m of mounts) if (m(req, res)) return;
    void koa(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shown}:${addr.port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
