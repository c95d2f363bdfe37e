import type { Fleet, Redis, Server } from '../fleet/index.js';
import { OnceLog, type Logger } from '../lib/log.js';

/**
 * A data plane as membership sees it: the Node proxy's upstream set, or HAProxy's backend.
 * The pool version is acknowledged only once `apply` has returned (or its promise resolved).
 */
export interface PoolSink {
  apply(servers: readonly Server[], now: number): void | Promise<void>;
}

export interface MembershipOptions {
  fleet: Fleet;
  /** A dedicated connection for SUBSCRIBE (a subscribed client can run nothing else). */
  subscriber: Redis;
  upstreams: PoolSink;
  resyncMs: number;
  log: Logger;
}

/**
 * Keeps the upstream set in step with the registry: a full resync on every pool-change
 * announcement and every `resyncMs` as a fallback. While Redis is unreachable the last
 * known pool keeps serving (fail static); the outage is logged once and the next
 * successful read brings the pool up to date.
 */
export class Membership {
  /** The registry's pool version at the last successful resync: the proxy's drain acknowledgement. */
  applied = 0;
  private syncing: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  /** Passes in a row the data plane refused: the next retry waits twice as long, up to `resyncMs`. */
  private refused = 0;
  private closed = false;
  private readonly once: OnceLog;

  constructor(private readonly o: MembershipOptions) {
    this.once = new OnceLog(o.log);
  }

  async start(): Promise<void> {
    const { fleet, subscriber } = this.o;
    // ioredis re-subscribes by itself; a reconnect may have missed announcements, so read everything
    subscriber.on('ready', () => void this.resync());
    fleet.redis.on('ready', () => void this.resync());
    this.timer = setInterval(() => void this.resync(), this.o.resyncMs);
    this.timer.unref();
    // Subscribe first, then read: a change between the two is caught by one or the other.
    // An announcement of the version we applied needs no read; any other does. A lower one
    // means Redis lost its data (restarted empty, failed over to a stale replica): it is a
    // reset to read in full, never something "already applied".
    const subscribed = fleet.registry
      .onChange(subscriber, (c) => {
        this.o.log.debug({ change: c, applied: this.applied }, 'pool change announced');
        if (c.version !== this.applied) void this.resync();
      })
      .then(
        () => this.o.log.debug('subscribed to pool changes'),
        (err: unknown) => this.once.warn('subscribe', { err: String(err) }, 'pool-change subscription failed; relying on the periodic resync'),
      );
    // a Redis that is down must not hold up startup: the resync timer covers the gap
    await Promise.race([subscribed, new Promise((r) => setTimeout(r, 2000).unref())]);
    await this.resync();
  }

  /** Reads the whole registry and applies it; concurrent calls coalesce into one more pass. */
  resync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    this.syncing = this.loop().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    clearTimeout(this.retry);
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        // version first: the list read after it reflects at least that version
        const version = await this.o.fleet.registry.poolVersion();
        const servers = await this.o.fleet.registry.list();
        if (this.closed) return;
        if (!(await this.applyTo(servers))) return this.retrySoon();
        if (version < this.applied) this.o.log.warn({ version, applied: this.applied }, 'pool version went back (Redis lost its data): resynced in full');
        this.applied = version;
        this.once.clear('redis', 'redis reachable again: pool resynced');
      } catch (err) {
        this.once.warn('redis', { err: String(err) }, 'redis unreachable: serving the last known pool');
        return;
      }
    } while (this.again && !this.closed);
  }

  /**
   * A data plane that refused a pass (HAProxy busy or restarting) is asked again in 100 ms,
   * then 200, 400… up to the resync period: a join or a drain then waits on HAProxy, not on
   * the next periodic resync.
   */
  private retrySoon(): void {
    if (this.closed) return;
    clearTimeout(this.retry);
    const delay = Math.min(this.o.resyncMs, 100 * 2 ** Math.min(this.refused - 1, 16));
    this.retry = setTimeout(() => void this.resync(), delay);
    this.retry.unref();
  }

  /** Hands the pool to the data plane; false (logged once) when it could not take it: no acknowledgement then. */
  private async applyTo(servers: readonly Server[]): Promise<boolean> {
    try {
      await this.o.upstreams.apply(servers, Date.now());
      this.refused = 0;
      this.once.clear('apply', 'data plane took the pool again');
      return true;
    } catch (err) {
      this.refused++;
      this.once.warn('apply', { err: String(err) }, 'data plane did not take the pool: not acknowledged, retrying');
      return false;
    }
  }
}
