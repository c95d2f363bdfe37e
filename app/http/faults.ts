import type { Middleware } from 'koa';
import type { FaultState } from '../../lib/fault-admin.js';
import { burn } from '../../lib/hogs.js';

/**
 * Applies injected faults (--enable-faults): a CPU hog's cost per request, then an HTTP
 * fault's delay, then the request goes on or is answered with the fault's status.
 */
export function faultMiddleware(faults: FaultState): Middleware {
  return async (ctx, next) => {
    const cost = faults.cpuCostMs();
    if (cost > 0) burn(cost);
    const f = faults.rules.choose(undefined);
    if (!f) return next();
    if (f.delayMs > 0) await new Promise((r) => setTimeout(r, f.delayMs));
    if (f.abortStatus === undefined) return next();
    ctx.status = f.abortStatus;
    ctx.body = { error: { code: 'SHOAL_ERR_INJECTED_FAULT', message: `answered ${f.abortStatus} by an injected fault (chaos experiment)` } };
  };
}
