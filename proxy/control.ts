import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { RedisHealth } from '../fleet/health.js';
import { connectRedis, Fleet, type DataPlane, type Redis } from '../fleet/index.js';
import type { Logger } from '../lib/log.js';
import { startAdmin, type AdminSources } from './admin.js';
import type { ProxyConfig } from './config.js';
import { DemandReporter, type DemandReporterOptions } from './demand.js';
import { Membership, type PoolSink } from './membership.js';
import type { ProxyMetrics } from './metrics.js';
import type { MemberView } from './upstream.js';

export interface RunningProxy {
  /** host:port the proxy listens on. */
  address: string;
  url: string;
  /** The course-API listener's URL when `--compat-port` is set. */
  compatUrl?: string;
  /** host:port of the admin server, or '' in a cluster worker (the primary serves it). */
  adminAddress: string;
  /** The Node data plane's metrics (HAProxy's figures come from its own counters). */
  metrics?: ProxyMetrics;
  pool(): PoolView;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), leaves the fleet. */
  close(): Promise<void>;
}

export interface PoolView {
  proxyId: string;
  dataPlane: DataPlane;
  redis: 'up' | 'down';
  appliedPoolVersion: number;
  balancer: string;
  members: MemberView[];
  /** The HAProxy process shoal runs (data plane haproxy, not attached). */
  haproxyPid?: number;
  /** No ready server passes its checks, so requests go to them anyway (fail-open.ts). */
  failOpen: boolean;
}

/** How a data plane joins the fleet once it listens (ControlPlane.publish). */
export interface PublishOptions extends Pick<DemandReporterOptions, 'counters' | 'id' | 'address' | 'dataPlane' | 'beforeReport'> {
  /** What the admin port serves; undefined in a cluster worker, whose primary serves it at `adminAddress`. */
  admin?: AdminSources;
  faults?: Parameters<typeof startAdmin>[5];
  adminAddress?: string;
}

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
  private adminServer: { close(): void } | undefined;
  private onHup: (() => void) | undefined;

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

  /** /pool's answer: who this proxy is and how far it follows the registry, with the data plane's members. */
  poolView(proxyId: string, dataPlane: DataPlane, members: MemberView[], failOpen: boolean): PoolView {
    return { proxyId, dataPlane, redis: this.health.up ? 'up' : 'down', appliedPoolVersion: this.applied, balancer: this.cfg.balancer, members, failOpen };
  }

  /**
   * Joins the fleet: serves the admin port (unless a cluster worker's primary does) and writes
   * the proxy's fleet entry every --report interval from now on. Returns the admin address.
   */
  async publish(o: PublishOptions): Promise<string> {
    let adminAddress = o.adminAddress ?? '';
    if (o.admin) {
      const server = await startAdmin(this.cfg.adminHost, this.cfg.adminPort, o.admin, this.log, this.cfg.adminToken, o.faults);
      this.adminServer = server;
      adminAddress = `${formatHost(this.cfg.adminHost)}:${(server.address() as AddressInfo).port}`;
    }
    this.reporter = new DemandReporter({ ...o, adminAddress, fleet: this.fleet, bootId: randomUUID(), appliedVersion: () => this.applied, intervalMs: this.cfg.reportMs, log: this.log });
    this.reporter.start();
    return adminAddress;
  }

  /** Runs `fn` on SIGHUP (reload the certificate) until the proxy stops following the registry. */
  onReload(fn: () => void): void {
    this.onHup = fn;
    process.on('SIGHUP', fn);
  }

  /** Stops following the registry (the data plane keeps the pool it has). */
  stopFollowing(): void {
    if (this.onHup) process.off('SIGHUP', this.onHup);
    this.membership?.close();
    this.health.stop();
  }

  /** Closes the admin port, leaves the fleet and disconnects. */
  async close(): Promise<void> {
    this.stopFollowing();
    this.adminServer?.close();
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

/** The proxy's public host:port and URLs, from the ports it listens on. */
export function endpoints(cfg: Pick<ProxyConfig, 'host' | 'tls'>, port: number, compatPort: number | undefined): { address: string; url: string; compatUrl?: string } {
  const proto = cfg.tls ? 'https' : 'http';
  const address = `${formatHost(cfg.host)}:${port}`;
  return { address, url: `${proto}://${address}`, compatUrl: compatPort === undefined ? undefined : `${proto}://${formatHost(cfg.host)}:${compatPort}` };
}
