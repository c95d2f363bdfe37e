import { ShoalError } from '../../lib/errors.js';
import { pidAlive } from '../../lib/process.js';
import type { ChaosContext } from '../context.js';

function autoscalerPid(ctx: ChaosContext): number {
  const pid = ctx.target.autoscalerPid;
  if (!pid || !pidAlive(pid)) throw new ShoalError('SHOAL_ERR_CHAOS_TARGET', 'no running autoscaler in the stack to pin');
  return pid;
}

/**
 * Pins the fleet at its size: the autoscaler is stopped (SIGSTOP) so it neither replaces
 * nor adds servers, as a frozen controller or one stuck on a bad deploy would. Its leader
 * lock lapses; on SIGCONT it takes the lead again.
 */
export function pinAutoscaler(ctx: ChaosContext): { pid: number } {
  const pid = autoscalerPid(ctx);
  process.kill(pid, 'SIGSTOP');
  return { pid };
}

export function unpinAutoscaler(ctx: ChaosContext): { pid: number } {
  const pid = autoscalerPid(ctx);
  process.kill(pid, 'SIGCONT');
  return { pid };
}
