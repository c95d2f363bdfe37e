import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { DashboardFeed } from './feed.js';

// The page ships as one static file: no build step, no third-party scripts.
// It sits beside this file in the source tree; compiled code finds it from dist/dashboard/.
const beside = fileURLToPath(new URL('./page.html', import.meta.url));
const PAGE = readFileSync(existsSync(beside) ? beside : fileURLToPath(new URL('../../dashboard/page.html', import.meta.url)));

/** Handles `/` (the page) and `/events` (SSE); returns false for any other path. */
export function dashboardHandler(feed: DashboardFeed): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': PAGE.length });
      res.end(req.method === 'HEAD' ? undefined : PAGE);
      return true;
    }
    if (path === '/events') {
      feed.subscribe(res);
      return true;
    }
    return false;
  };
}
