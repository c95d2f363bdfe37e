import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TargetGroup } from '../autoscaler/admin/sd.js';
import type { Logger } from '../lib/log.js';
import { mergeTraces } from '../lib/tracing/merge.js';
import type { SpanRecord } from '../lib/tracing/tail-store.js';
import { staticPage } from './static-page.js';

const PAGE = staticPage('traces.html');

/**
 * `/traces` (the Traces view) and `/traces.json`: every app server's and proxy's kept
 * traces, fetched from the targets service discovery names, joined by trace id.
 */
export function tracesHandler(targets: () => Promise<TargetGroup[]>, log: Logger): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return false;
    if (path === '/traces') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': PAGE.length });
      res.end(PAGE);
      return true;
    }
    if (path !== '/traces.json') return false;
    void collect(targets, log).then((traces) => {
      const body = JSON.stringify({ traces });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    return true;
  };
}

async function collect(targets: () => Promise<TargetGroup[]>, log: Logger) {
  const groups = await targets().catch(() => [] as TargetGroup[]);
  const stores = await Promise.all(
    groups
      .filter((g) => g.labels.service === 'app' || g.labels.service === 'proxy')
      .map(async (g) => {
        try {
          const res = await fetch(`http://${g.targets[0]}/traces`, { signal: AbortSignal.timeout(2000) });
          if (!res.ok) return [];
          return ((await res.json()) as { traces: SpanRecord[][] }).traces;
        } catch (err) {
          log.debug({ target: g.targets[0], err: (err as Error).message }, 'no traces from target');
          return [];
        }
      }),
  );
  return mergeTraces(stores);
}
