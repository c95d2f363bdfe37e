import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { edgeServerOptions, guardEdges } from '../lib/http-edges.js';
import type { Logger } from '../lib/log.js';
import type { ProxyConfig } from './config.js';

/** The http(s).createServer options that make the client side slowloris-proof. */
export function serverOptions(t: ProxyConfig['timeouts']): ReturnType<typeof edgeServerOptions> {
  return edgeServerOptions({ headerMs: t.headerMs, requestMs: t.requestMs, keepAliveMs: t.idleMs });
}

/**
 * Caps and guards on a listening server: the connection ceiling and JSON answers for what
 * Node refuses itself (lib/http-edges.ts), plus an idle timeout for stalled sockets.
 */
export function applyLimits(server: Server, cfg: Pick<ProxyConfig, 'timeouts' | 'limits'>, log: Logger): void {
  guardEdges(server, log, { maxConnections: cfg.limits.maxClientConnections, capName: '--max-connections' });
  // a socket with no traffic at all (stalled reader, vanished peer) is closed after the idle timeout
  server.timeout = cfg.timeouts.idleMs;
}

/** How long, and how much of a body, the proxy reads and throws away after an early answer. */
export const LINGER = { ms: 5000, bytes: 8 * 1024 * 1024 };
const kLingering = Symbol('lingering');

/**
 * nginx's lingering_close, for an answer sent before the request's body was read (the app's
 * 413, a refusal): once the answer is flushed, close our side only and keep reading — and
 * discarding — what the client still sends, until it closes too, for at most LINGER.ms or
 * LINGER.bytes. Closing at once resets the connection under a client still writing its body,
 * and the reset can reach it before it read the answer: it sees EPIPE or ECONNRESET instead.
 */
export function lingerAfterAnswer(req: IncomingMessage, limit = LINGER): void {
  const socket = req.socket as Socket & { [kLingering]?: true };
  if (socket[kLingering]) return;
  socket[kLingering] = true;
  // Node's server calls destroySoon() when an answer marked `Connection: close` is finished
  socket.destroySoon = function lingeringClose(this: Socket): void {
    const stop = () => this.destroy();
    const timer = setTimeout(stop, limit.ms);
    this.once('close', () => clearTimeout(timer));
    this.once('end', stop); // the client closed its side: it has read what it wanted
    this.end();
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      if ((bytes += c.length) > limit.bytes) stop();
    });
    req.resume();
  };
}
