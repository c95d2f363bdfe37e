import type { Command } from 'commander';
import { resolve } from 'node:path';
import { z } from 'zod';
import { MEMORY, startEmbeddedDynamo } from '../../app/dynamodb/embedded.js';
import { createLogger } from '../../lib/log.js';
import { opt, parseOptions, port } from '../options.js';
import { action } from '../run.js';
import { stopOnSignals } from '../stop-on-signals.js';

const Schema = z.object({ dataDir: z.string().min(1), port });

/** `shoal dynamodb`: the embedded dynalite as its own process, shared by every app server of `shoal up`. */
export function registerDynamodb(program: Command): void {
  const cmd = program
    .command('dynamodb')
    .description('run the embedded DynamoDB (dynalite) on a loopback port, data under <data-dir>/dynamodb')
    .addOption(opt('--data-dir <dir>', `where the data lives (${MEMORY} for none)`, 'SHOAL_DATA_DIR').default('.shoal'))
    .addOption(opt('--port <port>', 'loopback port (0 = any free port; `shoal up` restarts it on the one it had)', 'SHOAL_DYNAMODB_PORT').default('0'));
  cmd.action(
    action(async () => {
      const o = parseOptions(cmd, Schema);
      const log = createLogger('dynamodb');
      const dataDir = o.dataDir === MEMORY ? MEMORY : resolve(o.dataDir);
      const db = await startEmbeddedDynamo(dataDir, o.port);
      stopOnSignals(log, () => db.close(), { message: 'stopping embedded DynamoDB', parentPid: Number(process.env.SHOAL_PARENT_PID) });
      process.stdout.write(`shoal dynamodb ready at ${db.endpoint} (data ${db.path})\n`);
    }),
  );
}
