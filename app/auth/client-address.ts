import type { Context } from 'koa';

/**
 * The address the nearest proxy saw: the last X-Forwarded-For entry (the one shoal's proxy
 * appends), not the first, which any client can write. Without the header, the socket's peer.
 */
export function clientAddress(ctx: Context): string {
  const xff = ctx.get('x-forwarded-for');
  const last = xff ? xff.slice(xff.lastIndexOf(',') + 1).trim() : '';
  return last || ctx.socket.remoteAddress || 'unknown';
}
