import type { Middleware } from 'koa';
import type { FaultRules } from '../../lib/fault-rules.js';

/** Applies injected HTTP faults (--enable-faults): a delay, then the request goes on or is answered with the fault's status. */
export function faultMiddleware(rules: FaultRules): Middleware {
  return async (ctx, next) => {
    const f = rules.choose(undefined);
    if (!f) return next();
    if (f.delayMs > 0) await new Promise((r) => setTimeout(r, f.delayMs));
    if (f.abortStatus === undefined) return next();
    ctx.status = f.abortStatus;
    ctx.body = { error: { code: 'SHOAL_ERR_INJECTED_FAULT', message: `answered ${f.abortStatus} by an injected fault (chaos experiment)` } };
  };
}
