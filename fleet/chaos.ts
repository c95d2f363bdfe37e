import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** What chaos tools keep in Redis besides their event stream: the fault hooks' addresses and a write probe. */
export class ChaosStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /**
   * Where an app server started with `--enable-faults` takes fault requests: a loopback
   * address of its own, so only a chaos tool on the same machine can reach it.
   */
  async setHook(serverId: string, address: string): Promise<void> {
    await this.redis.hset(this.keys.faultHooks, serverId, address);
  }

  async removeHook(serverId: string): Promise<void> {
    await this.redis.hdel(this.keys.faultHooks, serverId);
  }

  async hook(serverId: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.faultHooks, serverId)) ?? undefined;
  }

  /** The steady state's Redis probe: one write (a short-lived string), as every tier's writes would go. */
  async probeWrite(now = Date.now()): Promise<void> {
    await this.redis.set(this.keys.chaosProbe, String(now), 'PX', 60_000);
  }
}
