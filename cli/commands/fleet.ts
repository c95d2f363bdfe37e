import type { Command } from 'commander';
import { z } from 'zod';
import { parseOptions } from '../options.js';
import { action } from '../run.js';
import { serverTable } from '../status/render.js';
import { statusSource } from '../status/source.js';
import { addFleetTargetOptions, fleetTargetSchema, locateFleet } from '../stack/locate.js';

const Schema = z.object({ ...fleetTargetSchema, json: z.boolean().default(false) });

export function registerFleet(program: Command): void {
  const fleet = program.command('fleet').description('the app servers in the fleet, for scripts');
  const ls = addFleetTargetOptions(fleet.command('ls').description("list app servers as shoal status does (gone ones left out)")).option(
    '--json',
    'print a JSON array of servers',
  );
  ls.action(
    action(async () => {
      const o = parseOptions(ls, Schema);
      const source = statusSource(await locateFleet(o));
      try {
        const { servers } = await source.read();
        process.stdout.write(o.json ? JSON.stringify(servers, null, 2) + '\n' : serverTable(servers).join('\n') + '\n');
      } finally {
        source.close();
      }
    }),
  );
}
