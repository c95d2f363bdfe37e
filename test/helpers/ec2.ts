import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { startEc2Endpoint, type Ec2Endpoint } from '../../ec2/embedded.js';
import type { Ec2EndpointConfigInput } from '../../ec2/config.js';
import { createLogger } from '../../lib/log.js';
import { SHOAL_BIN } from './proc.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface TestEc2 {
  endpoint: Ec2Endpoint;
  dataDir: string;
  /** A real SDK client over HTTP; any credentials do. */
  client(opts?: { maxAttempts?: number }): EC2Client;
}

type Teardown = (fn: () => unknown) => void;

/** The embedded EC2 endpoint on a free loopback port with its own data dir; closed (every instance stopped) in teardown. */
export async function testEc2(teardown: Teardown, config: Partial<Ec2EndpointConfigInput> = {}): Promise<TestEc2> {
  const dataDir = config.dataDir ?? mkdtempSync(join(tmpdir(), 'shoal-ec2-'));
  const endpoint = await startEc2Endpoint({ port: 0, terminatedTtlMs: 60_000, killTimeoutMs: 5000, shoalCli: SHOAL_BIN, ...config, dataDir }, { log: createLogger('ec2', process.env.SHOAL_LOG_LEVEL ?? 'warn') });
  teardown(async () => {
    await endpoint.close();
    if (!config.dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  const clients: EC2Client[] = [];
  teardown(() => clients.forEach((c) => c.destroy()));
  return {
    endpoint,
    dataDir,
    client(opts = {}) {
      const c = new EC2Client({
        endpoint: endpoint.url,
        region: endpoint.region,
        credentials: { accessKeyId: 'AKIDSHOALTEST', secretAccessKey: 'not-checked' },
        maxAttempts: opts.maxAttempts ?? 3,
      });
      clients.push(c);
      return c;
    },
  };
}
