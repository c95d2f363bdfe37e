import type { Fleet, ServerState } from '../fleet/index.js';
import type { ServerFields } from '../fleet/registry.js';
import { OnceLog, type Logger } from '../lib/log.js';
import type { Readiness } from './readiness.js';

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The app's registry entry: moves it to `ready`, heartbeats, and learns from the reply
 * when the fleet marked it draining. Redis being down never stops the app serving: the
 * next tick tries again, and a lost entry is re-created by the heartbeat.
 */
export class Registration {
  private registered = false;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private readonly once: OnceLog;
  private stopped = false;
  /** Draining because the fleet said so (not our own shutdown): `shoal undrain` can lift it. */
  private fleetDraining = false;

  constructor(
    private readonly fleet: Fleet,
    readonly id: string,
    /**
     * `ready`: what the app sets on its entry (a launcher's provider and instance id are
     * kept); `whenMissing`: what a heartbeat writes if the entry was lost.
     */
    private readonly fields: { ready: ServerFields; whenMissing: ServerFields },
    private readonly readiness: Readiness,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {
    this.once = new OnceLog(log);
  }

  /** Moves the entry to `ready`; false if Redis did not answer (the heartbeat loop retries). */
  async ready(timeoutMs = 2000): Promise<boolean> {
    try {
      const res = await withTimeout(this.fleet.registry.ready(this.id, this.fields.ready), timeoutMs, 'registering');
      this.registered = true;
      this.once.clear('redis', 'Redis reachable again: registry entry up to date');
      if (!res.ok) this.refused(res.state as ServerState);
      return true;
    } catch (err) {
      this.once.warn('redis', { err: (err as Error).message }, 'cannot register in Redis yet: serving anyway, retrying every heartbeat');
      return false;
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async draining(): Promise<void> {
    this.stop();
    await withTimeout(this.fleet.registry.draining(this.id), 2000, 'marking draining').catch((err: Error) =>
      this.log.warn({ err: err.message }, 'could not mark draining in Redis'),
    );
  }

  async gone(): Promise<void> {
    this.stop();
    await withTimeout(this.fleet.registry.gone(this.id), 2000, 'marking gone').catch((err: Error) => this.log.warn({ err: err.message }, 'could not mark gone in Redis'));
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      if (!this.registered) {
        await this.ready();
        return;
      }
      const state = await withTimeout(this.fleet.registry.heartbeat(this.id, { state: 'ready', ...this.fields.whenMissing }), this.intervalMs, 'heartbeat');
      this.once.clear('redis', 'Redis reachable again: heartbeats resumed');
      if (state !== 'ready' && state !== 'launching') this.refused(state);
      else if (state === 'ready' && this.fleetDraining) this.undrained();
    } catch (err) {
      this.once.warn('redis', { err: (err as Error).message }, 'heartbeat failed: serving on, retrying');
    } finally {
      this.busy = false;
    }
  }

  /** The fleet says we are leaving: stop being ready; the autoscaler stops us when drained. */
  private refused(state: ServerState): void {
    if (this.readiness.draining || this.stopped) return;
    this.readiness.draining = true;
    this.fleetDraining = true;
    if (state === 'draining') this.log.info({ id: this.id }, 'the fleet marked this server draining: /readyz now fails, responses carry Connection: close');
    else this.log.error({ id: this.id, state }, `registry entry is ${state}: not taking new work`);
  }

  /** An operator put the entry back to `ready` (`shoal undrain`): take new work again. */
  private undrained(): void {
    this.fleetDraining = false;
    this.readiness.draining = false;
    this.log.info({ id: this.id }, 'the fleet marked this server ready again: /readyz passes, taking new work');
  }
}
