import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConfigError } from '../../lib/errors.js';
import { CHOICES_HINT, describeChoice, type DynamoChoice } from './choice.js';
import { startEmbeddedDynamo } from './embedded.js';
import { reusePerCallWork } from './per-call-work.js';

export interface DynamoSettings {
  choice: DynamoChoice;
  dataDir: string;
  /** AWS_REGION / AWS_DEFAULT_REGION as the edge read them; the SDK's config files are tried too. */
  region?: string;
  /** Credentials configured in the environment (keys or a profile); else endpoints get dummy ones. */
  envCredentials: boolean;
}

export interface Dynamo {
  /** The Document client, on a client of its own (its commands cannot share resolved middleware). */
  doc: DynamoDBDocumentClient;
  /** Middleware resolved once per command class: for commands sent as they are, without per-request middleware. */
  client: DynamoDBClient;
  /** What we talk to, for logs and the ready line: a URL or `aws:<region>`. */
  target: string;
  close(): Promise<void>;
}

// Fail fast: a request waiting on a dead database should become a 503 in about a second
// or two, not hang for the SDK's default retries.
const BASE: DynamoDBClientConfig = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 5000 },
};

// dynalite and most local DynamoDB look-alikes accept any signature.
const DUMMY_CREDENTIALS = { accessKeyId: 'shoal', secretAccessKey: 'shoal' };

/** Opens the DynamoDB the settings choose; `embedded` also starts dynalite (stopped by close). */
export async function openDynamo(s: DynamoSettings): Promise<Dynamo> {
  if (s.choice.kind === 'aws') return openAws(s);
  let stopEmbedded = async () => {};
  let endpoint: string;
  if (s.choice.kind === 'embedded') {
    const embedded = await startEmbeddedDynamo(s.dataDir);
    endpoint = embedded.endpoint;
    stopEmbedded = embedded.close;
  } else {
    endpoint = s.choice.url;
  }
  const config: DynamoDBClientConfig = {
    ...BASE,
    endpoint,
    region: s.region ?? 'us-east-1',
    ...(s.envCredentials ? {} : { credentials: DUMMY_CREDENTIALS }),
  };
  return wrap(new DynamoDBClient({ ...config, cacheMiddleware: true }), config, s.choice.kind === 'embedded' ? `embedded dynalite at ${endpoint}` : endpoint, stopEmbedded);
}

async function openAws(s: DynamoSettings): Promise<Dynamo> {
  const config: DynamoDBClientConfig = { ...BASE, ...(s.region ? { region: s.region } : {}) };
  const client = new DynamoDBClient({ ...config, cacheMiddleware: true });
  const unusable = (why: string) => {
    client.destroy();
    return new ConfigError(`no usable DynamoDB (--dynamodb ${describeChoice(s.choice)}): ${why}; choose ${CHOICES_HINT}`);
  };
  let region: string;
  try {
    region = await client.config.region();
  } catch {
    throw unusable('no AWS region is configured (AWS_REGION)');
  }
  try {
    await client.config.credentials();
  } catch (err) {
    throw unusable(`no AWS credentials found by the default chain (${(err as Error).message})`);
  }
  return wrap(client, config, `aws:${region}`, async () => {});
}

/**
 * Two clients on one configuration. `client`, made with the SDK's cacheMiddleware, resolves
 * each command class's middleware stack once and reuses it: rebuilding the stack was a large
 * part of every request's CPU. The Document client cannot share that: its resolved handler holds
 * the first command it ran, so it keeps a plain client of its own. Both keep their sockets
 * alive (the SDK's default agent), so requests reuse connections; each signs with one signer and
 * one user agent made once (reusePerCallWork).
 */
function wrap(client: DynamoDBClient, config: DynamoDBClientConfig, target: string, stop: () => Promise<void>): Dynamo {
  // the same region and credential provider (resolved once, cached) as `client`
  const docBase = new DynamoDBClient({ ...config, region: client.config.region, credentials: client.config.credentials });
  reusePerCallWork(client);
  reusePerCallWork(docBase);
  const doc = DynamoDBDocumentClient.from(docBase, { marshallOptions: { removeUndefinedValues: true } });
  return {
    doc,
    client,
    target,
    async close() {
      client.destroy();
      docBase.destroy();
      await stop();
    },
  };
}
