import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Cloud } from './cloud.js';
import { faultSettings, type Faults } from './faults.js';

const MAX_BODY = 64 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > MAX_BODY) throw Object.assign(new Error('body too large'), { status: 413 });
  }
  return body ? JSON.parse(body) : {};
}

/**
 * `/admin/…` (loopback only): GET/PATCH/DELETE /admin/faults, GET /admin/instances, GET /healthz.
 * Answers JSON; bad input is a 4xx with `{ error: { code, message } }`.
 */
export function adminRoutes(cloud: Cloud, faults: Faults) {
  const patch = faultSettings.partial().strict();
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /healthz':
        return json(res, 200, { ok: true });
      case 'GET /admin/faults':
        return json(res, 200, { settings: faults.settings, counters: faults.counters });
      case 'PATCH /admin/faults':
      case 'POST /admin/faults': {
        let body: unknown;
        try {
          body = await readJson(req);
        } catch (err) {
          const status = (err as { status?: number }).status ?? 400;
          return json(res, status, { error: { code: status === 413 ? 'BODY_TOO_LARGE' : 'BAD_JSON', message: (err as Error).message } });
        }
        const parsed = patch.safeParse(body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          return json(res, 400, { error: { code: 'BAD_FAULT', message: `${issue.path.join('.') || 'body'}: ${issue.message}` } });
        }
        faults.update(parsed.data as Partial<z.output<typeof faultSettings>>);
        return json(res, 200, { settings: faults.settings, counters: faults.counters });
      }
      case 'DELETE /admin/faults':
        faults.reset();
        return json(res, 200, { settings: faults.settings, counters: faults.counters });
      case 'GET /admin/instances':
        return json(
          res,
          200,
          cloud.instances().map(({ userData: _userData, ...i }) => i),
        );
      default:
        return json(res, 404, { error: { code: 'NOT_FOUND', message: `no admin route ${route}` } });
    }
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}
