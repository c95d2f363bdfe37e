import type { Command } from 'commander';
import { resolve } from 'node:path';
import { z } from 'zod';
import { tablePrefix } from '../../app/config.js';
import type { DynamoSettings } from '../../app/dynamodb/client.js';
import { dynamoChoice } from '../../app/dynamodb/choice.js';
import { MEMORY } from '../../app/dynamodb/embedded.js';
import { DEFAULT_TABLE_PREFIX, tableNames } from '../../app/store/table-names.js';
import { ConfigError } from '../../lib/errors.js';
import { PARSE_ONCE } from '../../lib/parse-once.js';
import { opt, parseOptions } from '../options.js';
import { action } from '../run.js';

/** The DynamoDB flags `shoal app`, `shoal tables` and `shoal seed` share. */
export function addDynamoOptions(cmd: Command): Command {
  return cmd
    .addOption(opt('--dynamodb <embedded|aws|URL>', 'DynamoDB: embedded dynalite, AWS (default chain + AWS_REGION) or an endpoint URL (also DYNAMODB_ENDPOINT) [default: aws]', 'SHOAL_DYNAMODB'))
    .addOption(opt('--data-dir <dir>', `where embedded data lives (${MEMORY} for memory only)`, 'SHOAL_DATA_DIR').default('.shoal'))
    .addOption(opt('--table-prefix <prefix>', 'prefix of the DynamoDB table names', 'SHOAL_TABLE_PREFIX').default(DEFAULT_TABLE_PREFIX));
}

export const dynamoFields = {
  dynamodb: z.string().optional(),
  dataDir: z.string().min(1, { message: 'expected a directory' }),
  tablePrefix,
};

/**
 * The DynamoDB choice from flags and environment (flags > SHOAL_DYNAMODB >
 * DYNAMODB_ENDPOINT > aws), validated here so a bad value names where it came from.
 */
export function dynamoSettings(o: { dynamodb?: string; dataDir: string }, env: NodeJS.ProcessEnv = process.env): DynamoSettings {
  const fromEndpointEnv = o.dynamodb === undefined && !!env.DYNAMODB_ENDPOINT;
  const raw = o.dynamodb ?? env.DYNAMODB_ENDPOINT ?? 'aws';
  const parsed = dynamoChoice.safeParse(raw, PARSE_ONCE);
  if (!parsed.success) {
    const where = fromEndpointEnv ? 'DYNAMODB_ENDPOINT' : '--dynamodb (SHOAL_DYNAMODB)';
    throw new ConfigError(`invalid ${where}: ${parsed.error.issues[0]!.message} (got ${JSON.stringify(raw)})`);
  }
  // The SDK warns on every start that a future release needs Node 22; shoal supports 20.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return {
    choice: parsed.data,
    dataDir: o.dataDir === MEMORY ? MEMORY : resolve(o.dataDir),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    envCredentials: !!(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE),
  };
}

/** `shoal tables create`: makes the app's tables; safe to run again or several at once. */
export function registerTables(program: Command): void {
  const tables = program.command('tables').description("manage the app's DynamoDB tables");
  const create = addDynamoOptions(tables.command('create').description('create the users, music and playlists tables (idempotent) and wait until ACTIVE'));
  create.action(
    action(async () => {
      const o = parseOptions(create, z.object(dynamoFields));
      // Loaded here, not at the top: every `shoal` command would otherwise pay for the AWS SDK.
      const [{ openDynamo }, { createTables }] = await Promise.all([import('../../app/dynamodb/client.js'), import('../../app/store/tables.js')]);
      const db = await openDynamo(dynamoSettings(o));
      try {
        const names = tableNames(o.tablePrefix);
        const res = await createTables(db.client, names, db.target);
        for (const name of Object.values(names)) {
          const ttl = res.ttl[name] ? `\tttl ${res.ttl[name] === 'enabled' ? 'on' : 'not supported by this endpoint (expired items are ignored on read)'}` : '';
          process.stdout.write(`${name}\t${res.created.includes(name) ? 'created' : 'exists'}${ttl}\n`);
        }
      } finally {
        await db.close();
      }
    }),
  );
}
