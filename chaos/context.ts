import type { Fleet } from '../fleet/index.js';
import type { Logger } from '../lib/log.js';

/** The stack under test, as plain data (the CLI reads it from `shoal up`'s stack.json). */
export interface ChaosTarget {
  /** The proxy's public origin: the load and the HTTP probe go here. */
  proxyUrl: string;
  /** The proxy process (its RSS is a probe). */
  proxyPid?: number;
  /** The proxy's admin origin (faults at the proxy). */
  proxyAdminUrl?: string;
  /** The autoscaler process (pin-autoscaler stops it). */
  autoscalerPid?: number;
  /** The embedded EC2 endpoint, when app servers are its instances. */
  ec2Endpoint?: string;
  /** The ec2 provider's `shoal:fleet` tag value (`shoal-up` for `shoal up --provider ec2`). */
  ec2Fleet?: string;
  /** `Authorization` for the load (the stack's demo login). */
  authorization?: string;
}

/** What every action gets. */
export interface ChaosContext {
  target: ChaosTarget;
  fleet: Fleet;
  log: Logger;
  /** Aborted on SIGINT/SIGTERM: pauses end, waits stop. */
  signal: AbortSignal;
  random: () => number;
}

/** Waits `ms`, or less when the signal aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
