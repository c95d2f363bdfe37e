import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShoalError } from '../../lib/errors.js';
import { startChild } from './child.js';

export const SHOAL_BIN = fileURLToPath(new URL('../shoal.js', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../../../samples/', import.meta.url));

export interface PrepareTables {
  endpoint: string;
  tablePrefix: string;
  /** Load the sample CSVs on the first run in this data dir. */
  seed: boolean;
  dataDir: string;
  timeoutMs: number;
  /** The one-shot commands' environment (the stack's log level). */
  env: NodeJS.ProcessEnv;
  say: (line: string) => void;
}

/** `shoal tables create` (idempotent), then the sample data once per data dir. */
export async function prepareTables(o: PrepareTables): Promise<void> {
  const common = ['--dynamodb', o.endpoint, '--table-prefix', o.tablePrefix];
  await runOnce(o, 'tables', ['tables', 'create', ...common]);
  const marker = join(o.dataDir, 'seeded');
  if (!o.seed || existsSync(marker)) {
    o.say('tables      ready');
    return;
  }
  await runOnce(o, 'seed', [
    'seed', ...common, '--users', join(SAMPLES, 'users.csv'), '--music', join(SAMPLES, 'music.csv'), '--playlists', join(SAMPLES, 'playlists.csv'),
  ]);
  await writeFile(marker, new Date().toISOString() + '\n');
  o.say('tables      ready  (sample users, songs and playlists loaded)');
}

/** Runs a one-shot shoal command to completion; its output goes to its log. */
async function runOnce(o: PrepareTables, name: string, args: string[]): Promise<void> {
  const logFile = join(o.dataDir, 'logs', `${name}.log`);
  const c = await startChild({ name, command: process.execPath, args: [SHOAL_BIN, ...args], env: o.env, logFile, readyLine: /^/, timeoutMs: o.timeoutMs });
  const code = await c.exited;
  if (code !== 0) throw new ShoalError('SHOAL_ERR_CHILD_EXIT', `shoal ${args.slice(0, 2).join(' ')} failed (${code}); see ${logFile}`);
}
