import { randomUUID } from 'node:crypto';
import { connectRedis, Fleet, type Redis } from '../../fleet/index.js';
import { startRedisServer, type EmbeddedRedis } from '../../lib/redis-server.js';

export interface TestRedis {
  server: EmbeddedRedis;
  url: string;
  /** A unique key prefix per test file, so files never see each other's fleet. */
  prefix: string;
  client: Redis;
  fleet: Fleet;
  /** Restart redis-server on the same port (its data is gone: no persistence). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

type Teardown = (fn: () => unknown) => void;

/** Starts a real redis-server on a free loopback port; stopped by pid in teardown. */
export async function testRedis(teardown: Teardown): Promise<TestRedis> {
  let server = await startRedisServer();
  const prefix = `t${randomUUID().slice(0, 8)}:`;
  const client = connectRedis(server.url, { name: 'test' });
  const t: TestRedis = {
    server,
    url: server.url,
    prefix,
    client,
    fleet: new Fleet(client, prefix),
    async restart() {
      const port = server.port;
      await server.stop();
      server = await startRedisServer({ port });
      t.server = server;
    },
    async close() {
      client.disconnect();
      await server.stop();
    },
  };
  teardown(() => t.close());
  return t;
}
