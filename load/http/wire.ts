import type { Rendered } from '../request.js';

/** A request serialized for an HTTP/1.1 socket. */
export interface Wire {
  bytes: Buffer;
  /** A HEAD request: its answer has no body whatever the headers say. */
  head: boolean;
  /**
   * False when the template framed the request itself (its own Content-Length,
   * Transfer-Encoding or Connection header): a fuzzed framing may desynchronize the
   * connection, so it is closed after the answer instead of being reused.
   */
  reuse: boolean;
}

/** The error a request gets when it cannot be written as HTTP/1.1 at all. */
export const INVALID_REQUEST = 'SHOAL_ERR_INVALID_REQUEST';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// what undici also refuses in a path: controls, space and anything beyond latin1
const BAD_PATH = /[^\u0021-\u00ff]/;
const BAD_VALUE = /[\r\n\0]/;
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection']);

/**
 * The request as bytes: request line, a Host header for `host`, the template's headers,
 * Content-Length for a body unless the template set its own framing. Returns
 * INVALID_REQUEST for a method, path or header that would break the framing (CR/LF in a
 * value, a space in the path) rather than send it.
 */
export function toWire(req: Rendered, host: string): Wire | typeof INVALID_REQUEST {
  if (!TOKEN.test(req.method) || !req.path || BAD_PATH.test(req.path)) return INVALID_REQUEST;
  let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${host}\r\n`;
  let reuse = true;
  let framed = false;
  for (const k in req.headers) {
    const v = req.headers[k]!;
    if (!TOKEN.test(k) || BAD_VALUE.test(v)) return INVALID_REQUEST;
    const lower = k.toLowerCase();
    if (lower === 'host') continue;
    if (FRAMING.has(lower)) reuse = false;
    if (lower === 'content-length' || lower === 'transfer-encoding') framed = true;
    head += `${k}: ${v}\r\n`;
  }
  const body = req.body === null ? undefined : Buffer.from(req.body, 'utf8');
  if (body && !framed) head += `content-length: ${body.length}\r\n`;
  head += '\r\n';
  const bytes = body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
  return { bytes, head: req.method === 'HEAD', reuse };
}
