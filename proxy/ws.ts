import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProxyServer } from 'http-proxy-3';
import { rawErrorAnswer } from '../lib/http-edges.js';
import type { Logger } from '../lib/log.js';
import { pick, type BalancerKind } from './balancer.js';
import type { DemandCounters } from './demand.js';
import { ProxyErrorCode } from './errors.js';
import { requestIdFor } from './headers.js';
import { isInternalPath } from './internal-paths.js';
import type { ProxyMetrics } from './metrics.js';
import type { UpstreamSet } from './upstream.js';

export interface UpgradeOptions {
  upstreams: UpstreamSet;
  balancer: BalancerKind;
  metrics: ProxyMetrics;
  counters: DemandCounters;
  /** As for plain requests: the app servers' /metrics, /healthz, /readyz only with --expose-internal. */
  exposeInternal: boolean;
  log: Logger;
}

/**
 * WebSocket (and other Upgrade) requests: undici's pools speak plain request/response, so
 * these go through http-proxy-3, which pipes the two sockets together after the handshake.
 * The server is chosen like any request; the tunnel then lives on its own connection.
 */
export function createUpgradeHandler(o: UpgradeOptions): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  // loaded on the first upgrade: a proxy that never sees one does not carry it in memory
  let proxy: Promise<ProxyServer> | undefined;
  const load = () =>
    (proxy ??= import('http-proxy-3').then(({ createProxyServer }) => {
      const p = createProxyServer({ ws: true, xfwd: true, proxyTimeout: 0 });
      p.on('error', (err, req, target) => {
        o.log.warn({ err: err.message, url: req.url }, 'websocket proxying failed');
        if ('destroy' in target && typeof target.destroy === 'function') target.destroy();
      });
      return p;
    }));
  return (req, socket, head) => {
    o.counters.offered++;
    socket.on('error', () => socket.destroy());
    if (!o.exposeInternal && isInternalPath(req.url ?? '/')) {
      o.metrics.refused(ProxyErrorCode.INTERNAL_PATH, 0);
      socket.end(rawErrorAnswer(404, ProxyErrorCode.INTERNAL_PATH, `no route for ${req.method} ${(req.url ?? '/').split('?')[0]}`));
      return;
    }
    const cands = o.upstreams.candidates(Date.now());
    if (cands.length === 0) {
      o.metrics.refused(ProxyErrorCode.NO_UPSTREAM, 0);
      socket.end(rawErrorAnswer(503, ProxyErrorCode.NO_UPSTREAM, 'no app server is ready to take this request', { 'Retry-After': 1 }));
      return;
    }
    const u = cands[pick(o.balancer, cands, Math.random)]!;
    req.headers['x-request-id'] = requestIdFor(req.headers['x-request-id']);
    o.counters.served++;
    load().then(
      (p) => p.ws(req, socket, head, { target: `http://${u.address}` }),
      (err: unknown) => {
        o.log.error({ err: String(err) }, 'cannot load http-proxy-3');
        socket.destroy();
      },
    );
  };
}
