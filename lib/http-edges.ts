import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from './log.js';

// The edges of a public HTTP server (the app's and the proxy's): what Node would otherwise
// answer itself with an empty body, or not at all. Every such answer carries the JSON error
// body `{"error":{"code","message"}}` and closes the connection.

export const EdgeCode = {
  BAD_REQUEST: 'SHOAL_ERR_BAD_REQUEST',
  REQUEST_TIMEOUT: 'SHOAL_ERR_REQUEST_TIMEOUT',
  HEADERS_TOO_LARGE: 'SHOAL_ERR_HEADERS_TOO_LARGE',
  EXPECTATION_FAILED: 'SHOAL_ERR_EXPECTATION_FAILED',
  METHOD_NOT_ALLOWED: 'SHOAL_ERR_METHOD_NOT_ALLOWED',
} as const;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
};

export interface EdgeTimeouts {
  /** The client must send all request headers within this (slowloris guard). */
  headerMs: number;
  /** The client must send the whole request, body included, within this. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
}

/** The http(s).createServer options that enforce the header and request deadlines. */
export function edgeServerOptions(t: EdgeTimeouts): { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number } {
  return {
    headersTimeout: t.headerMs,
    // Node requires requestTimeout ≥ headersTimeout when both are set
    requestTimeout: Math.max(t.requestMs, t.headerMs),
    keepAliveTimeout: t.keepAliveMs,
    // how often Node sweeps for clients past their deadlines (the default 30 s is too coarse)
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(t.headerMs / 2))),
  };
}

/** A whole HTTP/1.1 error answer with the JSON body, for writing straight to a socket. */
export function rawErrorAnswer(status: number, code: string, message: string, extra: Record<string, string | number> = {}): string {
  const body = JSON.stringify({ error: { code, message } });
  const head = Object.entries(extra).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${head}Connection: close\r\n\r\n${body}`;
}

/** Answers a parsed request with a JSON error and closes its connection (for requests no handler should see). */
export function refuseRequest(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  res.shouldKeepAlive = false;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

/**
 * An HTTP/0.9-style request line (`GET /` with no version) carries no headers and cannot
 * read a status line: it is answered 400 and closed before any handler sees it.
 */
export function refuseHttp09(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.httpVersionMajor >= 1) return false;
  refuseRequest(res, 400, EdgeCode.BAD_REQUEST, 'malformed request line: expected METHOD target HTTP/1.x');
  return true;
}

function clientErrorAnswer(code: string | undefined): [number, string, string] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, EdgeCode.REQUEST_TIMEOUT, 'request not received in time'];
  if (code === 'HPE_HEADER_OVERFLOW') return [431, EdgeCode.HEADERS_TOO_LARGE, 'request headers are too large'];
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return [413, EdgeCode.BAD_REQUEST, 'chunk extensions are too large'];
  return [400, EdgeCode.BAD_REQUEST, `malformed request${code?.startsWith('HPE_') ? ` (${code.slice(4).toLowerCase().replace(/_/g, ' ')})` : ''}`];
}

export interface EdgeGuardOptions {
  maxConnections: number;
  /** How the cap is named in the log line, e.g. `--max-connections`. */
  capName: string;
}

/**
 * Guards a listening server's edges: the connection cap (and a rate-limited line when it
 * bites), JSON answers for what Node's parser refuses (400 malformed, 408 too slow, 431
 * headers too large), for unknown `Expect` values (417) and for CONNECT (405: neither the
 * app nor the proxy is a forward proxy). Node's http server puts its own error listener on
 * every socket and routes socket errors to 'clientError', so ECONNRESET and half-open
 * clients never become an uncaught exception.
 */
export function guardEdges(server: Server, log: Logger, o: EdgeGuardOptions): void {
  server.maxConnections = o.maxConnections;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    socket.on('error', noop);
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, code, message] = clientErrorAnswer(err.code);
    socket.end(rawErrorAnswer(status, code, message));
    log.debug({ code: err.code }, 'client error');
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', noop);
    socket.end(rawErrorAnswer(405, EdgeCode.METHOD_NOT_ALLOWED, 'CONNECT is not supported: this is not a forward proxy', { Allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' }));
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    refuseRequest(res, 417, EdgeCode.EXPECTATION_FAILED, `Expect: ${String(req.headers.expect)} is not supported (only 100-continue)`);
  });
  let droppedAt = 0;
  server.on('drop', () => {
    // at most one line per 10 s: a flood must not become a log flood
    if (Date.now() - droppedAt < 10_000) return;
    droppedAt = Date.now();
    log.warn({ max: o.maxConnections }, `client connections refused: ${o.capName} reached`);
  });
}

function noop(): void {}
