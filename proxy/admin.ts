import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { adminGuard } from '../lib/admin-auth.js';
import type { Logger } from '../lib/log.js';

export interface AdminSources {
  /** Prometheus text: this process's registry, or the cluster-wide sum in the primary. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The members and their state, as JSON-able data. */
  pool(): Promise<unknown>;
  /** This process's kept traces (`GET /traces`), when it traces. */
  traces?: () => unknown[];
}

/**
 * The operator's port (loopback by default; a token required elsewhere): /metrics for Prometheus, /pool for people and
 * `shoal status`, /healthz for whatever supervises the proxy itself.
 */
export function startAdmin(host: string, port: number, sources: AdminSources, log: Logger, token?: string, faults?: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<Server> {
  const allowed = adminGuard(token);
  const server = createServer({ headersTimeout: 5000, requestTimeout: 10_000 }, (req, res) => {
    if (!allowed(req, res)) return;
    // --enable-faults: /faults takes HTTP faults for chaos experiments (lib/fault-admin.ts)
    if (faults?.(req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const fail = (err: unknown) => {
      log.warn({ err: String(err), path }, 'admin request failed');
      send(500, 'application/json', JSON.stringify({ error: { code: 'SHOAL_ERR_ADMIN', message: String(err) } }));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, 'application/json', JSON.stringify({ error: { code: 'SHOAL_ERR_METHOD', message: 'admin endpoints are read-only' } }));
      return;
    }
    if (path === '/metrics') {
      sources.metrics().then((m) => send(200, m.contentType, m.body), fail);
    } else if (path === '/pool') {
      sources.pool().then((p) => send(200, 'application/json', JSON.stringify(p, null, 2)), fail);
    } else if (path === '/traces' && sources.traces) {
      send(200, 'application/json', JSON.stringify({ traces: sources.traces() }));
    } else if (path === '/healthz') {
      send(200, 'application/json', '{"ok":true}');
    } else {
      send(404, 'application/json', JSON.stringify({ error: { code: 'SHOAL_ERR_NOT_FOUND', message: 'try /metrics, /pool or /healthz' } }));
    }
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
