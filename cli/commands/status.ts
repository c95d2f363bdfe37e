import type { Command } from 'commander';
import { z } from 'zod';
import { duration, opt, parseOptions } from '../options.js';
import { action } from '../run.js';
import { renderStatus } from '../status/render.js';
import { statusSource } from '../status/source.js';
import { addFleetTargetOptions, fleetTargetSchema, locateFleet } from '../stack/locate.js';

const Schema = z.object({
  ...fleetTargetSchema,
  json: z.boolean().default(false),
  watch: z.boolean().default(false),
  interval: duration.default(2000),
});

export function registerStatus(program: Command): void {
  const cmd = addFleetTargetOptions(program.command('status').description('show the fleet: desired vs actual, servers, last decisions'))
    .option('--json', 'print JSON')
    .option('--watch', 'refresh until interrupted')
    .addOption(opt('--interval <duration>', 'refresh interval for --watch', 'SHOAL_STATUS_INTERVAL').default('2s'));
  cmd.action(
    action(async () => {
      const o = parseOptions(cmd, Schema);
      const target = await locateFleet(o);
      const source = statusSource(target);
      try {
        do {
          const view = await source.read();
          const text = o.json ? JSON.stringify(view, null, 2) + '\n' : renderStatus(view);
          process.stdout.write(o.watch && process.stdout.isTTY ? `\x1b[2J\x1b[H${text}` : text);
          if (o.watch) await new Promise((r) => setTimeout(r, o.interval));
        } while (o.watch);
      } finally {
        source.close();
      }
    }),
  );
}
