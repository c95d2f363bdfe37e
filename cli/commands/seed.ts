import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { tableNames } from '../../app/store/table-names.js';
import { ConfigError } from '../../lib/errors.js';
import { opt, parseOptions } from '../options.js';
import { action } from '../run.js';
import { addDynamoOptions, dynamoFields, dynamoSettings } from './tables.js';

const csvFile = z.string().refine((f) => existsSync(f), { message: 'file not found' }).optional();

const Flags = z.object({ users: csvFile, music: csvFile, playlists: csvFile, createTables: z.boolean().optional(), ...dynamoFields });

/** `shoal seed`: loads users, music and playlists CSVs (idempotent; bad rows reported and skipped). */
export function registerSeed(program: Command): void {
  const cmd = program
    .command('seed')
    .description('load CSVs into the tables: users (id?,fname,lname,email), music (id?,artist,title,instruments a;b), playlists (id?,name,owner,songs a;b)')
    .addOption(opt('--users <file.csv>', 'users CSV'))
    .addOption(opt('--music <file.csv>', 'music CSV'))
    .addOption(opt('--playlists <file.csv>', 'playlists CSV'))
    .option('--create-tables', 'create the tables first (idempotent)');
  addDynamoOptions(cmd);
  cmd.action(
    action(async () => {
      const o = parseOptions(cmd, Flags);
      if (!o.users && !o.music && !o.playlists) throw new ConfigError('nothing to load: give at least one of --users, --music, --playlists');
      // Loaded here so other `shoal` commands do not pay for the AWS SDK at start.
      const [{ openDynamo }, { seed }, { createTables }] = await Promise.all([
        import('../../app/dynamodb/client.js'),
        import('../../app/seed/index.js'),
        import('../../app/store/tables.js'),
      ]);
      const db = await openDynamo(dynamoSettings(o));
      const names = tableNames(o.tablePrefix);
      // A progress line only for people watching; logs and pipes get the summary alone.
      const tty = process.stderr.isTTY;
      try {
        if (o.createTables) await createTables(db.client, names, db.target);
        const reports = await seed({
          doc: db.doc,
          client: db.client,
          target: db.target,
          names,
          files: { users: o.users, music: o.music, playlists: o.playlists },
          onBadRow: (file, line, message) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}${basename(file)}:${line}: ${message} (row skipped)\n`),
          onProgress: tty ? (file, done) => process.stderr.write(`\r\x1b[K${basename(file)}: ${done} rows…`) : undefined,
        });
        if (tty) process.stderr.write('\r\x1b[K');
        for (const r of reports) {
          process.stdout.write(`${r.table}\t${r.rows} rows\t${r.written} written\t${r.unchanged} unchanged\t${r.skipped} skipped\t(${basename(r.file)})\n`);
        }
      } finally {
        await db.close();
      }
    }),
  );
}
