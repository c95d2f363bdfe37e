import { ShoalError } from '../../lib/errors.js';
import type { ChaosContext } from '../context.js';
import { pause } from '../context.js';

/** `INFO` text → its `field:value` lines. */
function infoFields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/**
 * SIGKILLs the Redis primary the fleet's client is connected to (with Sentinel: the one it
 * names), then writes until a write succeeds again: through Sentinel that is the promoted
 * replica; without, a restarted primary or nothing.
 */
export async function killRedisPrimary(ctx: ChaosContext): Promise<{ pid: number; port: number; writesBackAfterMs: number | null }> {
  const redis = ctx.fleet.redis;
  const info = infoFields(await redis.info());
  if (info.get('role') !== 'master') throw new ShoalError('SHOAL_ERR_CHAOS_TARGET', `the fleet's Redis is a ${info.get('role') ?? 'unknown'}, not a primary`);
  const pid = Number(info.get('process_id'));
  const port = Number(info.get('tcp_port'));
  if (!(pid > 1)) throw new ShoalError('SHOAL_ERR_CHAOS_TARGET', 'Redis did not say its process id');
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    throw new ShoalError('SHOAL_ERR_CHAOS_KILL', `cannot kill Redis pid ${pid} (not on this machine?): ${(err as Error).message}`);
  }
  const killedAt = Date.now();
  const deadline = killedAt + 30_000;
  while (Date.now() < deadline && !ctx.signal.aborted) {
    try {
      await ctx.fleet.chaos.probeWrite();
      return { pid, port, writesBackAfterMs: Date.now() - killedAt };
    } catch {
      await pause(100, ctx.signal);
    }
  }
  return { pid, port, writesBackAfterMs: null };
}
