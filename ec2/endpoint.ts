import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost } from '../lib/loopback.js';
import type { Logger } from '../lib/log.js';
import { adminRoutes, json } from './admin.js';
import type { QueryService } from './api/service.js';
import { ApiError } from './errors.js';
import type { Faults } from './faults.js';
import { requestId } from './ids.js';
import { QueryParams } from './query.js';
import { parseSigV4 } from './sigv4.js';
import type { Cloud } from './cloud.js';

const MAX_BODY = 1024 * 1024;

export interface EndpointOptions {
  host: string;
  port: number;
  cloud: Cloud;
  faults: Faults;
  /** The Query APIs served, told apart by `Version` (EC2 first: the default without one). */
  services: QueryService[];
  log: Logger;
}

export interface EndpointHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_BODY) {
        fail(new ApiError('RequestEntityTooLarge', `Request body larger than ${MAX_BODY} bytes`, 413));
        req.destroy();
        return;
      }
      chunks.push(b);
    });
    req.on('end', () => ok(Buffer.concat(chunks).toString()));
    req.on('error', fail);
  });
}

/**
 * The embedded AWS endpoint: Query API calls (POST form bodies, or GET query strings) routed
 * by `Version` to a service, plus a loopback-only admin API for faults (`/admin/…`).
 */
export async function startEndpoint(o: EndpointOptions): Promise<EndpointHandle> {
  const byVersion = new Map(o.services.map((s) => [s.version, s]));
  const byName = new Map(o.services.map((s) => [s.name, s]));
  const admin = adminRoutes(o.cloud, o.faults);

  async function query(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const rid = requestId();
    let service = o.services[0]!;
    let action = '';
    try {
      const body = req.method === 'POST' ? await readBody(req) : '';
      const q = QueryParams.parse(`${url.searchParams}&${body}`);
      const version = q.str('Version');
      const cred = parseSigV4(req.headers.authorization, q.str('X-Amz-Credential'));
      service = (version ? byVersion.get(version) : byName.get(cred.service)) ?? service;
      action = q.str('Action') ?? '';
      if (!action) throw new ApiError('MissingAction', 'The request must contain the parameter Action');
      if (version && !byVersion.has(version)) throw new ApiError('InvalidParameterValue', `Version ${version} is not served by this endpoint (served: ${[...byVersion.keys()].join(', ')})`);
      const handler = service.actions.get(action);
      if (!handler) throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
      if (o.faults.throttle(action, Date.now())) throw ApiError.throttled();
      const result = await handler(q);
      send(res, 200, service.render(action, rid, result), rid);
      o.log.debug({ action, requestId: rid, accessKeyId: cred.accessKeyId }, 'call');
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError('InternalError', 'An internal error has occurred', 500);
      if (!(err instanceof ApiError)) o.log.error({ err, action }, 'call failed');
      else o.log.info({ action, code: e.code, requestId: rid }, 'call refused');
      send(res, e.status, service.renderError(e, rid), rid);
    }
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://endpoint');
    if (url.pathname.startsWith('/admin/') || url.pathname === '/healthz') {
      // Faults and instance listings are for this machine only, even if the API is exposed.
      if (!isLoopbackHost(req.socket.remoteAddress ?? '')) return json(res, 403, { error: { code: 'FORBIDDEN', message: 'the admin API answers loopback clients only' } });
      void admin(req, res, url).catch((err: unknown) => {
        o.log.error({ err }, 'admin call failed');
        json(res, 500, { error: { code: 'INTERNAL', message: 'admin call failed' } });
      });
      return;
    }
    void query(req, res, url);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port, o.host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function send(res: ServerResponse, status: number, xml: string, rid: string): void {
  res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'content-length': Buffer.byteLength(xml), 'x-amzn-requestid': rid });
  res.end(xml);
}
