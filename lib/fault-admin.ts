import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { FaultRules, HttpFaultSchema } from './fault-rules.js';
import { cpuHog, memoryHog, type Hog } from './hogs.js';
import type { Logger } from './log.js';

const CpuSchema = z.object({ costMs: z.number().positive().max(10_000), durationMs: z.number().int().positive().max(3_600_000) }).strict();
const MemorySchema = z.object({ mb: z.number().int().min(1).max(16_384), durationMs: z.number().int().positive().max(3_600_000), limitMb: z.number().int().min(16).optional() }).strict();

/** The faults one process takes: HTTP rules always; CPU and memory hogs only in an app server. */
export class FaultState {
  readonly rules = new FaultRules();
  private hogs: Hog[] = [];

  constructor(readonly allowHogs: boolean) {}

  addHog(h: Hog): void {
    this.hogs = [...this.hogs.filter((x) => x.until > Date.now()), h];
  }

  /** CPU each request burns now (the sum of the active cpu hogs); 0 almost always. */
  cpuCostMs(now = Date.now()): number {
    let ms = 0;
    for (const h of this.hogs) if (h.costMs && h.until > now) ms += h.costMs;
    return ms;
  }

  clear(): void {
    this.rules.clear();
    for (const h of this.hogs) h.stop();
    this.hogs = [];
  }

  view(): unknown {
    const now = Date.now();
    return { http: this.rules.list(now), hogs: this.hogs.filter((h) => h.until > now).map((h) => ({ kind: h.kind, detail: h.detail, until: h.until })) };
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const fail = (res: ServerResponse, status: number, code: string, message: string) => send(res, status, { error: { code, message } });

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 16_384) throw new Error('body over 16 KiB');
  }
  return text ? JSON.parse(text) : {};
}

/**
 * `/faults` routes: GET lists, POST /faults/http|cpu|memory adds, DELETE clears. Returns
 * false for other paths, so an admin server can mount it beside its own routes.
 */
export function faultRoutes(state: FaultState, log: Logger): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/faults' && !path.startsWith('/faults/')) return false;
    if (req.method === 'GET' && path === '/faults') {
      send(res, 200, state.view());
      return true;
    }
    if (req.method === 'DELETE' && path === '/faults') {
      state.clear();
      log.warn('faults cleared');
      send(res, 200, state.view());
      return true;
    }
    if (req.method !== 'POST') {
      fail(res, 405, 'SHOAL_ERR_METHOD', 'GET or DELETE /faults, POST /faults/http|cpu|memory');
      return true;
    }
    void readJson(req).then(
      (body) => apply(state, path, body, res, log),
      (err: Error) => fail(res, 400, 'SHOAL_ERR_BAD_REQUEST', `body must be JSON: ${err.message}`),
    );
    return true;
  };
}

function apply(state: FaultState, path: string, body: unknown, res: ServerResponse, log: Logger): void {
  const parse = <S extends z.ZodType>(schema: S): z.output<S> | undefined => {
    const r = schema.safeParse(body);
    if (r.success) return r.data;
    const i = r.error.issues[0]!;
    fail(res, 400, 'SHOAL_ERR_BAD_FAULT', `${i.path.join('.') || 'body'}: ${i.message}`);
    return undefined;
  };
  if (path === '/faults/http') {
    const f = parse(HttpFaultSchema);
    if (!f) return;
    const active = state.rules.add(f);
    log.warn({ fault: active }, 'http fault injected');
    return send(res, 201, active);
  }
  if ((path === '/faults/cpu' || path === '/faults/memory') && !state.allowHogs) {
    return fail(res, 404, 'SHOAL_ERR_NOT_FOUND', 'this process takes HTTP faults only');
  }
  if (path === '/faults/cpu') {
    const c = parse(CpuSchema);
    if (!c) return;
    state.addHog(cpuHog(c.costMs, c.durationMs));
    log.warn(c, 'cpu hog started');
    return send(res, 201, state.view());
  }
  if (path === '/faults/memory') {
    const m = parse(MemorySchema);
    if (!m) return;
    state.addHog(
      memoryHog(m.mb, m.durationMs, m.limitMb, (rssMb) => {
        log.error({ rssMb: Math.round(rssMb), limitMb: m.limitMb }, 'memory limit passed: killed, as the OOM killer would');
        process.kill(process.pid, 'SIGKILL');
      }),
    );
    log.warn(m, 'memory hog started');
    return send(res, 201, state.view());
  }
  fail(res, 404, 'SHOAL_ERR_NOT_FOUND', 'try /faults/http, /faults/cpu or /faults/memory');
}

/** An app server's own fault port: loopback only, a free port, nothing but /faults. */
export async function startFaultAdmin(state: FaultState, log: Logger): Promise<{ address: string; close(): void }> {
  const routes = faultRoutes(state, log);
  const server: Server = createServer({ headersTimeout: 5000, requestTimeout: 10_000 }, (req, res) => {
    if (!routes(req, res)) fail(res, 404, 'SHOAL_ERR_NOT_FOUND', 'try /faults');
  });
  await new Promise<void>((ok, no) => server.once('error', no).listen(0, '127.0.0.1', () => ok()));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => void server.close() };
}
