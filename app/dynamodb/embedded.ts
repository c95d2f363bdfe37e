import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { acquirePidLock } from './lock.js';

const require = createRequire(import.meta.url);

export interface EmbeddedDynamo {
  endpoint: string;
  /** Where the data lives, or ':memory:'. */
  path: string;
  close(): Promise<void>;
}

export const MEMORY = ':memory:';

/**
 * Starts dynalite in this process on a loopback port (0: any free one), with its data under
 * `<dataDir>/dynamodb` (or in memory). One dynalite per data dir: a pid lock file
 * refuses a second one with a clear error.
 */
export async function startEmbeddedDynamo(dataDir: string, port = 0): Promise<EmbeddedDynamo> {
  const dynalite = require('dynalite') as (opts: object) => Server;
  let release = () => {};
  let path = MEMORY;
  if (dataDir !== MEMORY) {
    mkdirSync(dataDir, { recursive: true });
    release = acquirePidLock(join(dataDir, 'dynamodb.lock'), `the embedded DynamoDB in ${dataDir}`);
    path = join(dataDir, 'dynamodb');
  }
  try {
    // Tables become ACTIVE at once: there is no real provisioning to wait for locally.
    const server = dynalite({ path: path === MEMORY ? undefined : path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const bound = (server.address() as AddressInfo).port;
    let closing: Promise<void> | undefined;
    return {
      endpoint: `http://127.0.0.1:${bound}`,
      path,
      close: () =>
        (closing ??= new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }).finally(release)),
    };
  } catch (err) {
    release();
    throw err;
  }
}
