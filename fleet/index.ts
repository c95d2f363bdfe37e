import type { Redis } from 'ioredis';
import { AuthKeyStore } from './auth-keys.js';
import { AuthStateStore } from './auth-state.js';
import { AutoscalerStateStore } from './autoscaler-state.js';
import { ChaosStore } from './chaos.js';
import { EventStream } from './event-stream.js';
import { fleetKeys, type Keys } from './keys.js';
import { LeaderLock } from './leader-lock.js';
import { MemoryLoadStore } from './memory-load.js';
import { ProxyRegistry } from './proxies.js';
import { Registry } from './registry.js';
import { RequestStatsStore } from './request-stats.js';
import { StackProcessStore } from './stack-processes.js';

export { connectRedis, isReady, parseSentinelUrl, type Redis } from './connect.js';
export { DEFAULT_PREFIX, fleetKeys, type Keys } from './keys.js';
export type { Server, ServerState } from './server.js';
export { isLive } from './server.js';
export type { RequestStats } from './request-stats.js';
export { totalDelta } from './request-stats.js';
export type { MemoryReading } from './memory-load.js';
export type { DataPlane, ProxyInfo } from './proxies.js';
export { DATA_PLANES } from './proxies.js';
export type { AutoscalerState } from './autoscaler-state.js';
export type { PoolChange } from './registry.js';
export type { StreamEntry } from './event-stream.js';
export type { SigningKey } from './auth-keys.js';
export type { StackProcess } from './stack-processes.js';
export { DecisionTail, type AutoscalerAsk } from './decision-tail.js';

/** Everything shoal keeps in Redis, over one client, under one prefix. */
export class Fleet {
  readonly keys: Keys;
  readonly registry: Registry;
  readonly requests: RequestStatsStore;
  readonly memory: MemoryLoadStore;
  readonly proxies: ProxyRegistry;
  readonly autoscaler: AutoscalerStateStore;
  readonly decisions: EventStream<Record<string, unknown>>;
  readonly leader: LeaderLock;
  readonly authKeys: AuthKeyStore;
  readonly auth: AuthStateStore;
  readonly stackProcesses: StackProcessStore;
  readonly chaosEvents: EventStream<Record<string, unknown>>;
  readonly chaos: ChaosStore;

  constructor(
    readonly redis: Redis,
    prefix?: string,
  ) {
    this.keys = fleetKeys(prefix);
    this.registry = new Registry(redis, this.keys);
    this.requests = new RequestStatsStore(redis, this.keys);
    this.memory = new MemoryLoadStore(redis, this.keys);
    this.proxies = new ProxyRegistry(redis, this.keys);
    this.autoscaler = new AutoscalerStateStore(redis, this.keys);
    this.decisions = new EventStream(redis, this.keys.decisions, 1000);
    this.leader = new LeaderLock(redis, this.keys);
    this.authKeys = new AuthKeyStore(redis, this.keys);
    this.auth = new AuthStateStore(redis, this.keys);
    this.stackProcesses = new StackProcessStore(redis, this.keys);
    this.chaosEvents = new EventStream(redis, this.keys.chaosEvents, 1000);
    this.chaos = new ChaosStore(redis, this.keys);
  }
}
