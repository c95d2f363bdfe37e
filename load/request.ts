import { randomUUID } from 'node:crypto';
import { FRESH_KEY, IDEMPOTENCY_KEY, parseParts, type Part, type PoolKind, type TemplateClass } from '../fuzzer/templates.js';

/** A template or chain step made ready to render many times without re-parsing. */
export interface CompiledRequest {
  /** Template id, or `chainId#step`. */
  id: string;
  name: string;
  class: TemplateClass;
  method: string;
  /** The path as the file spells it, placeholders and all: the route a report names. */
  route: string;
  path: Part[];
  body: Part[] | null;
  headers: [string, Part[]][];
  /** Chain variables to take from the JSON response. */
  save: [string, string][];
  /** Set when nothing needs resolving: every send reuses it (the hot path of simple files). */
  fixed?: Rendered;
}

/** What one send puts on the wire. */
export interface Rendered {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
}

export interface RenderContext {
  pick(pool: PoolKind): string | undefined;
  chainVars?: Map<string, string>;
  seq: number;
}

const isText = (parts: Part[]) => parts.every((p) => p.kind === 'text');

export function compile(
  id: string,
  spec: { name: string; class: TemplateClass; method: string; path: string; headers: Record<string, string>; body: string | null; save?: Record<string, string> },
): CompiledRequest {
  const headers = withKey(spec.method, spec.headers);
  const req: CompiledRequest = {
    id,
    name: spec.name,
    class: spec.class,
    method: spec.method,
    route: spec.path,
    path: parseParts(spec.path),
    body: spec.body === null ? null : parseParts(spec.body),
    headers: Object.entries(headers).map(([k, v]) => [k, parseParts(v)]),
    save: Object.entries(spec.save ?? {}),
  };
  if (isText(req.path) && (req.body === null || isText(req.body)) && req.headers.every(([, v]) => isText(v))) {
    req.fixed = Object.freeze({ method: spec.method, path: spec.path, headers: Object.freeze({ ...headers }), body: spec.body }) as Rendered;
  }
  return req;
}

/** Every POST (a create) carries a fresh Idempotency-Key unless the file gave it one. */
function withKey(method: string, headers: Record<string, string>): Record<string, string> {
  if (method !== 'POST' || Object.keys(headers).some((k) => k.toLowerCase() === IDEMPOTENCY_KEY)) return headers;
  return { ...headers, [IDEMPOTENCY_KEY]: FRESH_KEY };
}

/** Thrown when a placeholder has no value (an empty pool, a chain step that saved nothing). */
export class Unresolved extends Error {}

const padCache = new Map<number, string>();
function pad(n: number): string {
  let s = padCache.get(n);
  if (s === undefined) padCache.set(n, (s = 'x'.repeat(n)));
  return s;
}

export function renderParts(parts: Part[], ctx: RenderContext): string {
  if (parts.length === 1 && parts[0]!.kind === 'text') return parts[0]!.text;
  let out = '';
  for (const p of parts) {
    switch (p.kind) {
      case 'text':
        out += p.text;
        break;
      case 'seq':
        out += String(ctx.seq);
        break;
      case 'uuid':
        out += randomUUID();
        break;
      case 'pad':
        out += pad(p.bytes);
        break;
      case 'pool': {
        const v = ctx.pick(p.pool);
        if (v === undefined) throw new Unresolved(`no ${p.pool} id available`);
        out += v;
        break;
      }
      case 'chain': {
        const v = ctx.chainVars?.get(p.name);
        if (v === undefined) throw new Unresolved(`chain variable ${p.name} was not saved`);
        out += v;
        break;
      }
    }
  }
  return out;
}

export function render(req: CompiledRequest, ctx: RenderContext): Rendered {
  if (req.fixed) return req.fixed;
  const headers: Record<string, string> = {};
  for (const [k, v] of req.headers) headers[k] = renderParts(v, ctx);
  return { method: req.method, path: renderParts(req.path, ctx), headers, body: req.body === null ? null : renderParts(req.body, ctx) };
}

/** Reads a dotted path from a JSON response; falls back to an `id` one level down ({"user": {"id"}}). */
export function extract(json: unknown, path: string): string | undefined {
  let cur: unknown = json;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') {
      cur = undefined;
      break;
    }
    cur = (cur as Record<string, unknown>)[key];
  }
  if (typeof cur === 'string' || typeof cur === 'number') return String(cur);
  if (json && typeof json === 'object' && path === 'id') {
    for (const v of Object.values(json)) {
      if (v && typeof v === 'object' && 'id' in v && (typeof v.id === 'string' || typeof v.id === 'number')) return String(v.id);
    }
  }
  return undefined;
}
