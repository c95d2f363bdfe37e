import type { Command } from 'commander';
import { z } from 'zod';
import { drainServer, undrainServer, type DrainOutcome } from '../../fleet/operator-drain.js';
import { duration, opt, parseOptions } from '../options.js';
import { action } from '../run.js';
import { openFleet, unreachable } from '../status/source.js';
import { addFleetTargetOptions, fleetTargetSchema, locateFleet } from '../stack/locate.js';

const DrainSchema = z.object({ ...fleetTargetSchema, timeout: duration.default(60_000), poll: duration.default(200) });
const UndrainSchema = z.object(fleetTargetSchema);

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The one line `shoal drain` prints; exit 0 when drained, 1 on timeout. */
function drainLine(o: DrainOutcome): string {
  const who = `${o.server.id} (${o.server.address || 'no address'})`;
  if (o.how === 'drained') return `drained ${who}: every live proxy at pool v${o.version}, 0 in flight, after ${seconds(o.waitedMs)}`;
  const left = [
    o.progress.proxiesBehind.length ? `${o.progress.proxiesBehind.length} proxies behind pool v${o.version} (${o.progress.proxiesBehind.join(', ')})` : '',
    o.progress.inflight === null ? 'no in-flight reading since the drain began' : o.progress.inflight > 0 ? `${o.progress.inflight} in flight` : '',
  ].filter(Boolean);
  return `timeout after ${seconds(o.waitedMs)} draining ${who}: ${left.join(', ')}; it stays draining (shoal undrain puts it back)`;
}

export function registerDrain(program: Command): void {
  const drain = addFleetTargetOptions(
    program
      .command('drain')
      .argument('<server>', 'server id or address (host:port)')
      .description('mark an app server draining and wait until no proxy sends it work and nothing is in flight'),
  )
    .addOption(opt('--timeout <duration>', 'give up (exit 1) after this long', 'SHOAL_DRAIN_TIMEOUT').default('60s'))
    .addOption(opt('--poll <duration>', 'how often to check the proxies and the in-flight count').default('200ms'));
  drain.action(
    action(async (server: string) => {
      const o = parseOptions(drain, DrainSchema);
      const target = await locateFleet(o);
      const fleet = openFleet(target, 'shoal-drain');
      try {
        const out = await drainServer(fleet, server, { timeoutMs: o.timeout, pollMs: o.poll }).catch(unreachable(target));
        process.stdout.write(drainLine(out) + '\n');
        process.exitCode = out.how === 'drained' ? 0 : 1;
      } finally {
        fleet.redis.disconnect();
      }
    }),
  );

  const undrain = addFleetTargetOptions(
    program.command('undrain').argument('<server>', 'server id or address (host:port)').description('put a draining app server back in the pool'),
  );
  undrain.action(
    action(async (server: string) => {
      const o = parseOptions(undrain, UndrainSchema);
      const target = await locateFleet(o);
      const fleet = openFleet(target, 'shoal-undrain');
      try {
        const out = await undrainServer(fleet, server).catch(unreachable(target));
        const who = `${out.server.id} (${out.server.address || 'no address'})`;
        process.stdout.write(out.how === 'undrained' ? `undrained ${who}: ready again at pool v${out.version}\n` : `${who} is already ready\n`);
      } finally {
        fleet.redis.disconnect();
      }
    }),
  );
}
