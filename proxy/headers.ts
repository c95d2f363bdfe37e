import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

// Headers that describe one connection, not the message (RFC 9110 §7.6.1): never forwarded.
// `expect` is answered by the proxy itself (Node sends 100 Continue), and undici refuses it.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);

// Set by the proxy from what it saw, so a client cannot forge them (X-Forwarded-For is appended to instead).
const OVERWRITTEN = new Set(['x-forwarded-proto', 'x-forwarded-host', 'x-request-id']);

/** Header names a `Connection: a, b` line declares hop-by-hop for this one message. */
function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (!value) return undefined;
  const out = new Set<string>();
  for (const t of value.split(',')) {
    const name = t.trim().toLowerCase();
    if (name) out.add(name);
  }
  return out;
}

const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** The client's X-Request-Id if it is a sane token, else a new one. */
export function requestIdFor(sent: string | string[] | undefined): string {
  return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
}

export interface ForwardedFor {
  /** The client's address as the proxy's socket saw it. */
  remoteAddress: string;
  proto: 'http' | 'https';
  requestId: string;
}

/**
 * The flat [name, value, ...] list undici sends upstream, built from the client's raw
 * headers (order and duplicates kept) minus hop-by-hop ones, plus X-Forwarded-* and X-Request-Id.
 */
export function upstreamHeaders(rawHeaders: readonly string[], connection: string | undefined, f: ForwardedFor): string[] {
  const extra = connectionTokens(connection);
  const out: string[] = [];
  let xff: string | undefined;
  let host: string | undefined;
  let sawLength = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (HOP_BY_HOP.has(lower) || OVERWRITTEN.has(lower) || extra?.has(lower)) continue;
    if (lower === 'x-forwarded-for') {
      xff = xff ? `${xff}, ${value}` : value;
      continue;
    }
    if (lower === 'host') {
      if (host !== undefined) continue; // undici rejects a second Host; Node already picked the first
      host = value;
    } else if (lower === 'content-length') {
      if (sawLength) continue;
      sawLength = true;
    }
    out.push(name, value);
  }
  out.push(
    'x-forwarded-for',
    xff ? `${xff}, ${f.remoteAddress}` : f.remoteAddress,
    'x-forwarded-proto',
    f.proto,
    'x-request-id',
    f.requestId,
  );
  if (host !== undefined) out.push('x-forwarded-host', host);
  return out;
}

/** The server's response headers for the client, minus hop-by-hop ones, plus the request id. */
export function clientHeaders(headers: IncomingHttpHeaders, requestId: string): OutgoingHttpHeaders {
  const extra = connectionTokens(typeof headers.connection === 'string' ? headers.connection : undefined);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || extra?.has(name)) continue;
    out[name] = headers[name];
  }
  out['x-request-id'] = requestId;
  return out;
}
