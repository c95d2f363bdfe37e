import type { Server } from 'node:http';
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
