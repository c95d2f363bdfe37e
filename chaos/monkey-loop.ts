import { schedule } from 'node-cron';
import { HEARTBEAT_LOST_MS } from '../fleet/server.js';
import { killServers } from './actions/servers.js';
import type { ChaosContext } from './context.js';
import { ChaosEvents } from './events.js';
import { decideTick, killChance, tickSchedule, type MonkeyConfig } from './monkey.js';

export interface MonkeyOptions extends MonkeyConfig {
  /** Say what each kill would be, kill nothing. */
  dryRun: boolean;
  /** Stop after this many kills (or would-be kills). */
  maxKills?: number;
  /** Progress lines for people. */
  say: (line: string) => void;
}

/**
 * `shoal chaos monkey`: node-cron ticks inside the hours and days; each tick asks the pure
 * core whether to kill and whom, kills (SIGKILL, or TerminateInstances) and puts the kill on
 * the chaos events stream. Runs until the signal aborts or --max-kills is reached.
 */
export async function runMonkey(ctx: ChaosContext, o: MonkeyOptions): Promise<{ kills: number }> {
  const { cron, tickMs } = tickSchedule(o);
  const chance = killChance(tickMs, o.meanMs);
  const events = new ChaosEvents(ctx.fleet, 'chaos monkey', ctx.log);
  const killedLately = new Map<string, number>();
  let kills = 0;
  let lastReason = '';
  const done = new AbortController();
  const stop = () => done.abort();
  ctx.signal.addEventListener('abort', stop);

  const tick = async () => {
    const now = Date.now();
    // the registry catches up with a kill within a heartbeat timeout at most
    for (const [id, at] of killedLately) if (now - at > HEARTBEAT_LOST_MS) killedLately.delete(id);
    let servers;
    try {
      servers = await ctx.fleet.registry.list();
    } catch (err) {
      ctx.log.warn({ err: (err as Error).message }, 'chaos monkey: cannot read the registry: no kill this tick');
      return;
    }
    const d = decideTick(o, { servers, now, killedLately: new Set(killedLately.keys()), roll: ctx.random(), pick: ctx.random(), chance });
    if (!d.kill) {
      // a tick that rolled a kill but may not act says why, once per reason
      if (!d.idle && d.reason !== lastReason) o.say(`no kill: ${d.reason}`);
      lastReason = d.idle ? lastReason : d.reason;
      return;
    }
    lastReason = '';
    const who = `${d.kill.id} (${d.kill.address}, zone ${d.kill.zone || '–'})`;
    if (o.dryRun) {
      o.say(`would kill ${who}: ${d.reason}`);
      killedLately.set(d.kill.id, now);
    } else {
      await events.emit('monkey-kill-started', `kill-server ${d.kill.id}`, d.reason);
      try {
        await killServers(ctx, [d.kill]);
        killedLately.set(d.kill.id, now);
        o.say(`killed ${who}: ${d.reason}`);
        await events.emit('monkey-kill-ended', `kill-server ${d.kill.id}`, `${d.kill.address} zone ${d.kill.zone || '–'}`);
      } catch (err) {
        o.say(`kill of ${who} failed: ${(err as Error).message}`);
        await events.emit('monkey-kill-failed', `kill-server ${d.kill.id}`, (err as Error).message);
        return;
      }
    }
    kills++;
    if (o.maxKills !== undefined && kills >= o.maxKills) stop();
  };

  const task = schedule(cron, tick, { timezone: o.tz, noOverlap: true, name: 'chaos-monkey' });
  const next = task.getNextRun();
  o.say(
    `chaos monkey${o.dryRun ? ' (dry run)' : ''}: cron "${cron}"${o.tz ? ` (${o.tz})` : ''}, a kill every ${Math.round(o.meanMs / 1000)} s on average ` +
      `(chance ${(chance * 100).toFixed(2)} % per ${tickMs / 1000} s tick), servers tagged ${o.tag}, never below ${o.minReady} live; next tick ${next ? next.toISOString() : 'never'}`,
  );
  const opted = await ctx.fleet.registry.list().then(
    (all) => all.filter((s) => s.state === 'ready' && s.tags?.includes(o.tag)).map((s) => `${s.id} (${s.address})`),
    () => null,
  );
  o.say(opted === null ? 'candidates: unknown (Redis unreachable)' : `candidates now (ready, tagged ${o.tag}): ${opted.join(', ') || 'none'}`);
  await events.emit('monkey-started', '', `cron "${cron}", mean ${Math.round(o.meanMs / 1000)} s, tag ${o.tag}, min ready ${o.minReady}${o.dryRun ? ', dry run' : ''}`);
  if (!done.signal.aborted) await new Promise<void>((resolve) => done.signal.addEventListener('abort', () => resolve()));
  ctx.signal.removeEventListener('abort', stop);
  await task.destroy();
  await events.emit('monkey-stopped', '', `${kills} ${o.dryRun ? 'would-be ' : ''}kill(s)`);
  return { kills };
}
