import type { Server } from '../../fleet/index.js';

/**
 * Where app servers run. `local` starts child processes; `ec2` and `asg` (a later issue)
 * start instances. A provider writes each server's `launching` entry before the server
 * exists, so a server that never boots is still seen (and counted as a boot failure).
 */
export interface Provider {
  /** Recorded on each server's registry entry; the daemon only terminates its own provider's servers. */
  readonly name: string;
  /** Starts `count` servers; returns their server ids. */
  launch(count: number): Promise<string[]>;
  /** Stops servers gracefully (the app drains and marks itself gone), forcefully after a timeout. */
  terminate(servers: readonly Server[]): Promise<void>;
  /**
   * Ids of the servers whose process or instance is alive: every one this provider started,
   * and those of `known` (started by an earlier leader) it can check.
   */
  list(known: readonly Server[]): Promise<string[]>;
  /** On shutdown: what the provider's servers need (local children are stopped with their parent). */
  close(): Promise<void>;
}
