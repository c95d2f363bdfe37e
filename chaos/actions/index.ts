import type { ChaosContext } from '../context.js';
import type { Action } from '../experiment.js';
import { pinAutoscaler, unpinAutoscaler } from './autoscaler.js';
import { clearFaults, cpuHog, httpFault, memoryHog } from './faults.js';
import { killRedisPrimary } from './redis.js';
import { killServer, zoneLoss } from './servers.js';

/** Runs one action; its result is the activity's output in the journal. */
export async function runAction(ctx: ChaosContext, a: Action): Promise<unknown> {
  switch (a.action) {
    case 'kill-server':
      return killServer(ctx, a);
    case 'zone-loss':
      return zoneLoss(ctx, a);
    case 'cpu-hog':
      return cpuHog(ctx, a);
    case 'memory-hog':
      return memoryHog(ctx, a);
    case 'http-fault':
      return httpFault(ctx, a);
    case 'clear-faults':
      return clearFaults(ctx);
    case 'pin-autoscaler':
      return pinAutoscaler(ctx);
    case 'unpin-autoscaler':
      return unpinAutoscaler(ctx);
    case 'kill-redis-primary':
      return killRedisPrimary(ctx);
  }
}

/** "kill-server random", "http-fault proxy random": an activity's name in events and the journal. */
export function actionName(a: Action): string {
  if ('target' in a) return `${a.action} ${'at' in a ? `${a.at} ` : ''}${a.target}`;
  if ('zone' in a) return `${a.action} ${a.zone}`;
  return a.action;
}
