import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Query API call (EC2, Auto Scaling) as it went over the wire. */
export interface RecordedCall {
  action: string;
  params: Record<string, string>;
  /** When it arrived (epoch ms). */
  at: number;
}

export interface Ec2Recorder {
  url: string;
  calls: RecordedCall[];
  /** The calls of one action, oldest first. */
  of(action: string): RecordedCall[];
}

type Teardown = (fn: () => unknown) => void;

/**
 * A loopback relay in front of the embedded EC2 endpoint that records every request's form
 * parameters: what a client really sent, read where the endpoint reads it.
 */
export async function ec2Recorder(teardown: Teardown, target: string): Promise<Ec2Recorder> {
  const calls: RecordedCall[] = [];
  const to = new URL(target);
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const params = Object.fromEntries(new URLSearchParams(body.toString()));
      calls.push({ action: params.Action ?? '', params, at: Date.now() });
      const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  teardown(() => new Promise<void>((ok) => {
    server.close(() => ok());
    server.closeAllConnections();
  }));
  server.unref();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    of: (action) => calls.filter((c) => c.action === action),
  };
}
