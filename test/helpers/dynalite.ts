import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);

export interface TestDynalite {
  endpoint: string;
  close(): Promise<void>;
}

type Teardown = (fn: () => unknown) => void;

/** A real dynalite (in memory) on a free loopback port, for tests that need DynamoDB. */
export async function testDynalite(teardown: Teardown): Promise<TestDynalite> {
  const dynalite = require('dynalite') as (opts: object) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const t = {
    endpoint: `http://127.0.0.1:${port}`,
    // keep-alive clients (the app's SDK) would hold close() open: their sockets go too
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
  teardown(() => t.close());
  return t;
}
