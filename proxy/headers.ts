import { randomUUID } from 'node:crypto';
import { COMPAT_HEADER } from '../lib/compat-header.js';

// Headers that describe one connection, not the message (RFC 9110 §7.6.1): never forwarded.
// `expect` is answered by the proxy itself (Node sends 100 Continue), and undici refuses it.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);

// Set by the proxy from what it saw, so a client cannot forge them (X-Forwarded-For is appended to instead).
// The compat mark too: only the proxy's course-API port may send it.
const OVERWRITTEN = new Set(['x-forwarded-proto', 'x-forwarded-host', 'x-request-id', COMPAT_HEADER]);

/** Lengths of the names above: most headers are ruled out without lower-casing them. */
const HOP_LENGTHS = new Set([...HOP_BY_HOP, 'x-request-id'].map((n) => n.length));

/** True for hop-by-hop names and for x-request-id, which the proxy sets itself. */
function dropInResponse(name: string): boolean {
  if (!HOP_LENGTHS.has(name.length)) return false;
  const lower = name.toLowerCase();
  return HOP_BY_HOP.has(lower) || lower === 'x-request-id';
}

/** Header names a `Connection: a, b` line declares hop-by-hop for this one message. */
function connectionTokens(value: string | undefined): Set<string> | undefined {
  // the usual values name no other header: skip the split
  if (!value || value === 'keep-alive' || value === 'close' || value === 'Keep-Alive') return undefined;
  const out = new Set<string>();
  for (const t of value.split(',')) {
    const name = t.trim().toLowerCase();
    if (name) out.add(name);
  }
  return out;
}

const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

// New ids are UUID-shaped: a random per-process prefix and a counter in the last group —
// unique per process and across proxies, without drawing random bytes per request.
const ID_PREFIX = randomUUID().slice(0, 24);
let idCounter = Math.floor(Math.random() * 2 ** 40);

/** The client's X-Request-Id if it is a sane token, else a new one. */
export function requestIdFor(sent: string | string[] | undefined): string {
  if (typeof sent === 'string' && REQUEST_ID.test(sent)) return sent;
  idCounter = (idCounter + 1) % 2 ** 48;
  return ID_PREFIX + idCounter.toString(16).padStart(12, '0');
}

export interface ForwardedFor {
  /** The client's address as the proxy's socket saw it. */
  remoteAddress: string;
  proto: 'http' | 'https';
  requestId: string;
  /** The request came in on the course-API port (`--compat-port`). */
  compat?: boolean;
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
  if (f.compat) out.push(COMPAT_HEADER, '1');
  return out;
}

/**
 * The server's raw response headers as the flat [name, value, ...] list `writeHead` takes,
 * minus hop-by-hop ones (and any the server's Connection line names), plus the request id.
 * Names keep the server's spelling; undici hands them over as latin1 buffers.
 */
export function clientHeaders(raw: readonly (Buffer | string)[], requestId: string, close: boolean): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    if (dropInResponse(name)) {
      if (name.length === 10 && name.toLowerCase() === 'connection') connection = raw[i + 1]!.toString('latin1');
      continue;
    }
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  const extra = connectionTokens(connection);
  if (extra) {
    extra.delete('close');
    extra.delete('keep-alive');
  }
  const kept = extra?.size ? out.filter((_, i) => !extra.has(out[i - (i % 2)]!.toLowerCase())) : out;
  kept.push('x-request-id', requestId);
  if (close) kept.push('connection', 'close');
  return kept;
}
