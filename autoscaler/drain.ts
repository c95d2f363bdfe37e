import type { Fleet, Server } from '../fleet/index.js';
import { drainProgress } from '../fleet/drain-progress.js';
import { isReady } from '../fleet/index.js';
import type { Logger } from '../lib/log.js';
import type { Provider } from './providers/provider.js';

export interface DrainOptions {
  fleet: Fleet;
  provider: Provider;
  log: Logger;
  /** Terminate anyway after this long. */
  timeoutMs: number;
  pollMs: number;
  /** Checked before each step: a deposed leader stops acting. */
  mayAct: () => Promise<boolean>;
  /** Whether the provider's last listing still shows the server's process or instance. */
  isRunning: (s: Server) => boolean;
  onDone?: (id: string, how: 'drained' | 'timeout' | 'deposed') => void;
}

/**
 * Scale-in without failed requests: mark the server draining, wait until every live proxy
 * has applied that pool version (it sends the server nothing new) and the server's
 * in-flight count, read fresh after the drain began, is 0 — or the drain timeout — and only
 * then terminate it.
 */
export class Drainer {
  private readonly active = new Map<string, Promise<void>>();

  constructor(private readonly o: DrainOptions) {}

  get inProgress(): string[] {
    return [...this.active.keys()];
  }

  /** Starts draining `server` unless it already is; `version` is known when the caller marked it already. */
  start(server: Server, version?: number): void {
    if (this.active.has(server.id)) return;
    const run = this.run(server, version)
      .catch((err: Error) => this.o.log.error({ id: server.id, err: err.message }, 'drain failed'))
      .finally(() => this.active.delete(server.id));
    this.active.set(server.id, run);
  }

  async settle(): Promise<void> {
    await Promise.all(this.active.values());
  }

  private async run(server: Server, known?: number): Promise<void> {
    const { fleet, log } = this.o;
    if (!(await this.o.mayAct())) return this.o.onDone?.(server.id, 'deposed');
    let version = known;
    if (version === undefined) {
      const res = await fleet.registry.draining(server.id);
      // Already draining (an earlier leader started it): wait for the current pool version.
      version = res.ok ? res.version! : await fleet.registry.poolVersion();
      if (!res.ok && res.state !== 'draining') {
        log.warn({ id: server.id, state: res.state }, 'not draining a server that is no longer ready');
        return;
      }
    }
    const started = Date.now();
    const deadline = started + this.o.timeoutMs;
    log.info({ id: server.id, poolVersion: version }, 'draining: waiting for the proxies and in-flight requests');
    let how: 'drained' | 'timeout' = 'timeout';
    while (Date.now() < deadline) {
      if (isReady(fleet.redis) && (await this.drained(server, version, started).catch(() => false))) {
        how = 'drained';
        break;
      }
      await new Promise((r) => setTimeout(r, this.o.pollMs));
    }
    if (!isReady(fleet.redis) || !(await this.o.mayAct().catch(() => false))) {
      // Without Redis we cannot know we still lead: leave the server for the next leader.
      log.warn({ id: server.id }, 'drain abandoned: not leading (or Redis unreachable)');
      return this.o.onDone?.(server.id, 'deposed');
    }
    if (how === 'timeout') log.warn({ id: server.id, timeoutMs: this.o.timeoutMs }, 'drain timeout: terminating anyway');
    await this.o.provider.terminate([server]);
    const now = await fleet.registry.get(server.id);
    if (now && now.state !== 'gone') await fleet.registry.gone(server.id);
    log.info({ id: server.id, how }, 'terminated');
    this.o.onDone?.(server.id, how);
  }

  private async drained(server: Server, version: number, since: number): Promise<boolean> {
    // A process that already exited has nothing left in flight.
    if (!this.o.isRunning(server)) return true;
    return (await drainProgress(this.o.fleet, server, version, since)).drained;
  }
}
