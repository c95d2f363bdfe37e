import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The admin ports' guard: with a token configured, every request but /healthz must carry
 * `Authorization: Bearer <token>` (compared in constant time). Answers the 401 itself and
 * returns false; true when the request may go on.
 */
export function adminGuard(token: string | undefined): (req: IncomingMessage, res: ServerResponse) => boolean {
  if (!token) return () => true;
  const want = digest(token);
  return (req, res) => {
    if ((req.url ?? '/').split('?')[0] === '/healthz') return true;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
    if (m && timingSafeEqual(digest(m[1]!), want)) return true;
    const body = JSON.stringify({ error: { code: 'SHOAL_ERR_UNAUTHORIZED', message: 'the admin port needs its token: Authorization: Bearer <admin token>' } });
    res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'www-authenticate': 'Bearer realm="shoal-admin"' });
    res.end(body);
    return false;
  };
}
