import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardFeed } from './feed.js';
import { staticPage } from './static-page.js';

const PAGE = staticPage('page.html');

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
