import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { RedisHealth } from '../fleet/health.js';
import { connectRedis, Fleet, type Redis } from '../fleet/index.js';
import type { Logger } from '../lib/log.js';
import { startAdmin, type AdminSources } from './admin.js';
import type { ProxyConfig } from './config.js';
import { DemandReporter, type DemandReporterOptions } from './demand.js';
import { Membership, type PoolSink } from './membership.js';

/**
 * What every shoal proxy does whatever its data plane: follow the registry in Redis, apply
 * the pool to the data plane (`PoolSink`), serve the admin port, publish heartbeat, offered
 * and served rates and the applied pool version. The data plane only moves the bytes.
 */
export class ControlPlane {
  readonly fleet: Fleet;
  readonly health: RedisHealth;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private membership: Membership | undefined;
  private reporter: DemandReporter | undefined;

  constructor(
    private readonly cfg: ProxyConfig,
    private readonly log: Logger,
  ) {
    // offline queue off: while Redis is down, reads fail fast and the last known pool keeps serving
    this.redis = connectRedis(cfg.redisUrl, { offlineQueue: false, name: 'shoal-proxy' });
    this.subscriber = connectRedis(cfg.redisUrl, { name: 'shoal-proxy-sub' });
    this.fleet = new Fleet(this.redis, cfg.prefix);
    this.health = new RedisHealth(this.redis).start();
  }

  /** The registry's pool version last applied to the data plane: the drain acknowledgement. */
  get applied(): number {
    return this.membership?.applied ?? 0;
  }

  /** Reads the pool and keeps `sink` in step with it from now on. */
  async follow(sink: PoolSink): Promise<void> {
    this.membership = new Membership({ fleet: this.fleet, subscriber: this.subscriber, upstreams: sink, resyncMs: this.cfg.resyncMs, log: this.log });
    await firstContact(this.redis, this.cfg.timeouts.connectMs);
    await this.health.check();
    await this.membership.start();
  }

  /** The admin port (skipped in a cluster worker, whose primary serves it); returns its host:port. */
  async admin(sources: AdminSources, faults?: Parameters<typeof startAdmin>[5]): Promise<{ address: string; close(): void }> {
    const server = await startAdmin(this.cfg.adminHost, this.cfg.adminPort, sources, this.log, this.cfg.adminToken, faults);
    return { address: `${formatHost(this.cfg.adminHost)}:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  }

  /** Starts writing the proxy's fleet entry every --report interval. */
  report(o: Pick<DemandReporterOptions, 'counters' | 'id' | 'address' | 'adminAddress' | 'dataPlane' | 'beforeReport'>): void {
    this.reporter = new DemandReporter({ ...o, fleet: this.fleet, bootId: randomUUID(), appliedVersion: () => this.applied, intervalMs: this.cfg.reportMs, log: this.log });
    this.reporter.start();
  }

  /** Stops following the registry (the data plane keeps the pool it has). */
  stopFollowing(): void {
    this.membership?.close();
    this.health.stop();
  }

  /** Leaves the fleet and disconnects. */
  async close(): Promise<void> {
    this.stopFollowing();
    await this.reporter?.stop();
    this.redis.disconnect();
    this.subscriber.disconnect();
  }
}

/** Waits (briefly) for the first connection so the first resync can read; a Redis that is down is not fatal. */
async function firstContact(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return;
  await Promise.race([once(redis, 'ready'), new Promise((r) => setTimeout(r, Math.max(ms, 500)).unref())]).catch(() => {});
}

export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
