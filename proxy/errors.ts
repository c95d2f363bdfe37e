import type { ServerResponse } from 'node:http';

// Stable codes for everything the proxy answers itself: logs, JSON bodies, metrics labels
// and tests all match on these, never on message text (undici's lib/core/errors.js style).
export const ProxyErrorCode = {
  /** No ready, healthy server is in the pool. */
  NO_UPSTREAM: 'SHOAL_ERR_NO_UPSTREAM',
  /** Every candidate server's connections and queue are full. */
  QUEUE_FULL: 'SHOAL_ERR_QUEUE_FULL',
  /** The request reached no server and could not be retried (budget spent or no other server). */
  UPSTREAM_CONNECT: 'SHOAL_ERR_UPSTREAM_CONNECT',
  /** The server failed after the request was sent and it is not safe to send it again. */
  UPSTREAM_FAILED: 'SHOAL_ERR_UPSTREAM_FAILED',
  /** The server did not start answering within --response-timeout. */
  UPSTREAM_TIMEOUT: 'SHOAL_ERR_UPSTREAM_TIMEOUT',
  /** The client sent a request the proxy could not read (bad framing, too slow). */
  BAD_REQUEST: 'SHOAL_ERR_BAD_REQUEST',
  /** The proxy is shutting down. */
  SHUTTING_DOWN: 'SHOAL_ERR_SHUTTING_DOWN',
  /** An app server's own endpoint (/metrics, /healthz, /readyz): not served on the public port. */
  INTERNAL_PATH: 'SHOAL_ERR_ROUTE_NOT_FOUND',
} as const;
export type ProxyErrorCode = (typeof ProxyErrorCode)[keyof typeof ProxyErrorCode];

const STATUS: Record<ProxyErrorCode, number> = {
  SHOAL_ERR_NO_UPSTREAM: 503,
  SHOAL_ERR_QUEUE_FULL: 503,
  SHOAL_ERR_UPSTREAM_CONNECT: 502,
  SHOAL_ERR_UPSTREAM_FAILED: 502,
  SHOAL_ERR_UPSTREAM_TIMEOUT: 504,
  SHOAL_ERR_BAD_REQUEST: 400,
  SHOAL_ERR_SHUTTING_DOWN: 503,
  SHOAL_ERR_ROUTE_NOT_FOUND: 404,
};

export function statusFor(code: ProxyErrorCode): number {
  return STATUS[code];
}

/** `{"error":{"code","message"}}`, the same shape the app uses; 503s tell the client when to come back. */
export function sendError(res: ServerResponse, code: ProxyErrorCode, message: string, requestId: string, retryAfterS = 1): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = STATUS[code];
  const body = JSON.stringify({ error: { code, message } });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
  };
  if (status === 503) headers['retry-after'] = retryAfterS;
  res.writeHead(status, headers);
  res.end(body);
}
