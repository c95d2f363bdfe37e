import type { Logger } from '../lib/log.js';
import { watchParent } from '../lib/parent-watch.js';

export interface StopOptions {
  /** the line logged once when stopping starts */
  message: string;
  /** stop too when this pid (the `shoal up` that started us) is gone; 0 = no parent */
  parentPid?: number;
  /** a second Ctrl-C exits at once (130) instead of waiting for close() */
  secondSigintExits?: boolean;
}

/**
 * One way every long-running tier stops: SIGTERM, SIGINT or its parent's exit runs close()
 * once, then exits 0 (1 if close failed). Repeated signals never start a second close.
 */
export function stopOnSignals(log: Logger, close: () => Promise<void>, opts: StopOptions): void {
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) {
      if (why === 'SIGINT' && opts.secondSigintExits) process.exit(130);
      return;
    }
    stopping = true;
    log.info({ why }, opts.message);
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (opts.parentPid && opts.parentPid > 0) watchParent(opts.parentPid, () => stop('parent exited'), 1000);
}
