import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

type Teardown = (fn: () => unknown) => void;

/** A tiny HTTP target for load tests: counts requests and the most sockets open at once. */
export interface TestServer {
  url: string;
  requests: number;
  /** Most sockets open at once. */
  peakSockets: number;
  server: Server;
}

/** A tiny target; `stallAt` makes that one request (1-based) wait `stallMs` before answering. */
export async function testServer(teardown: Teardown, opts: { stallAt?: number; stallMs?: number; delayMs?: number } = {}): Promise<TestServer> {
  const ts = { url: '', requests: 0, peakSockets: 0 } as TestServer;
  const open = new Set<Socket>();
  ts.server = createServer((req, res) => {
    const n = ++ts.requests;
    req.resume();
    const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    const wait = n === opts.stallAt ? (opts.stallMs ?? 1000) : (opts.delayMs ?? 0);
    if (!wait) return answer();
    // a timer may fire a little early against performance.now(): hold for the full time
    const since = performance.now();
    const hold = () => {
      const left = wait - (performance.now() - since);
      if (left > 0) setTimeout(hold, Math.ceil(left));
      else answer();
    };
    hold();
  });
  ts.server.on('connection', (s: Socket) => {
    open.add(s);
    ts.peakSockets = Math.max(ts.peakSockets, open.size);
    s.on('close', () => open.delete(s));
  });
  await new Promise<void>((r) => ts.server.listen(0, '127.0.0.1', r));
  ts.url = `http://127.0.0.1:${(ts.server.address() as AddressInfo).port}`;
  teardown(() => {
    for (const s of open) s.destroy();
    return new Promise<void>((r) => ts.server.close(() => r()));
  });
  return ts;
}
