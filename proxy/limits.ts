import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../lib/log.js';
import type { ProxyConfig } from './config.js';

/** The http(s).createServer options that make the client side slowloris-proof. */
export function serverOptions(t: ProxyConfig['timeouts']): { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number } {
  return {
    headersTimeout: t.headerMs,
    // Node requires requestTimeout ≥ headersTimeout when both are set
    requestTimeout: Math.max(t.requestMs, t.headerMs),
    keepAliveTimeout: t.idleMs,
    // how often Node sweeps for clients past their header/request deadline (default 30 s is too coarse)
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(t.headerMs / 2))),
  };
}

/**
 * Caps and guards on a listening server: a connection ceiling, an idle timeout, and the
 * clientError handler. Node's http server puts its own error listener on every socket and
 * routes socket errors here, so ECONNRESET, aborted clients and half-open connections never
 * become an uncaught exception (and 10k idle sockets carry no extra closure each).
 */
export function applyLimits(server: Server, cfg: Pick<ProxyConfig, 'timeouts' | 'limits'>, log: Logger): void {
  server.maxConnections = cfg.limits.maxClientConnections;
  // a socket with no traffic at all (stalled reader, vanished peer) is closed after the idle timeout
  server.timeout = cfg.timeouts.idleMs;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    socket.on('error', noop);
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // too slow (408) or unparseable (400): one short answer, then close
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const body = JSON.stringify({ error: { code: 'SHOAL_ERR_BAD_REQUEST', message: timeout ? 'request not received in time' : 'malformed request' } });
    const status = timeout ? '408 Request Timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    log.debug({ code: err.code }, 'client error');
  });
  let droppedAt = 0;
  server.on('drop', () => {
    // at most one line per 10 s: a flood must not become a log flood
    if (Date.now() - droppedAt < 10_000) return;
    droppedAt = Date.now();
    log.warn({ max: cfg.limits.maxClientConnections }, 'client connections refused: --max-connections reached');
  });
}

function noop(): void {}
