import type { Fleet } from '../fleet/index.js';
import { isReady } from '../fleet/index.js';
import type { Logger } from '../lib/log.js';

export type Role = 'leader' | 'standby';

export interface RoleChange {
  role: Role;
  token?: number;
  /** Who leads, when we do not. */
  leader?: string;
}

/**
 * One active autoscaler. The lock's TTL is one interval and it is renewed three times per
 * TTL, so a standby takes over within about 1⅓ intervals of the leader dying; every action
 * re-checks the fencing token, so a deposed leader (paused, cut off) acts on nothing.
 */
export class Leadership {
  role: Role = 'standby';
  token?: number;
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly fleet: Fleet,
    readonly id: string,
    private readonly ttlMs: number,
    private readonly log: Logger,
    private readonly onChange: (c: RoleChange) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.ttlMs / 3)));
  }

  /** One attempt to take or keep the lock; a Redis failure makes us standby (we cannot prove we lead). */
  async renew(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (!isReady(this.fleet.redis)) throw new Error('Redis unreachable');
      const token = await this.fleet.leader.acquire(this.id, this.ttlMs);
      if (token !== undefined) return this.set({ role: 'leader', token });
      const cur = await this.fleet.leader.current();
      this.set({ role: 'standby', leader: cur?.holder });
    } catch {
      this.set({ role: 'standby' });
    } finally {
      this.busy = false;
    }
  }

  /** True only if we lead and Redis still holds our token: checked before each action. */
  async mayAct(): Promise<boolean> {
    if (this.role !== 'leader' || this.token === undefined || !isReady(this.fleet.redis)) return false;
    return this.fleet.leader.stillValid(this.id, this.token).catch(() => false);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.role === 'leader' && isReady(this.fleet.redis)) await this.fleet.leader.release(this.id).catch(() => {});
    this.role = 'standby';
    this.token = undefined;
  }

  private set(c: RoleChange): void {
    const changed = c.role !== this.role || c.token !== this.token;
    this.role = c.role;
    this.token = c.token;
    if (!changed) return;
    this.log.info({ role: c.role, token: c.token, leader: c.leader }, c.role === 'leader' ? 'leading' : 'standing by');
    this.onChange(c);
  }
}
