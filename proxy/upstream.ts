import { Pool } from 'undici';
import type { Server, ServerState } from '../fleet/index.js';
import type { Logger } from '../lib/log.js';
import { slowStartWeight, type Candidate } from './balancer.js';
import { FailOpenLatch } from './fail-open.js';
import { eject, ejectionAllowed, newHealth, observeRequest, stillEjected, type ActiveChecker, type Checked, type HealthConfig, type HealthState } from './health.js';

/** One app server as this proxy sees it: its keep-alive connection pool and live counters. */
export class Upstream implements Candidate, Checked {
  inflight = 0;
  weight = 1;
  rrCurrent = 0;
  /** Set while the server is missing from the registry (not marked gone): see missingGraceMs. */
  missingSince = 0;
  readonly health: HealthState;
  readonly pool: Pool;

  constructor(
    readonly id: string,
    readonly address: string,
    public state: ServerState,
    poolOptions: Pool.Options,
    admittedAt: number,
  ) {
    this.health = newHealth(admittedAt);
    this.pool = new Pool(`http://${address}`, poolOptions);
    this.pool.on('connectionError', () => {}); // each request reports its own failure
  }
}

/** What /pool shows for each member. */
export interface MemberView {
  id: string;
  address: string;
  state: ServerState;
  up: boolean;
  ejected: boolean;
  ejectedForMs: number;
  inflight: number;
  weight: number;
  missingForMs: number;
  connected: number;
  queued: number;
}

export interface UpstreamSetOptions {
  pool: Pool.Options;
  health: HealthConfig;
  slowStartMs: number;
  /** Connections + queue per server: beyond this many in flight it counts as full. */
  maxPending: number;
  missingGraceMs: number;
  checker: ActiveChecker;
  log: Logger;
  onEject?: (u: Upstream, ms: number) => void;
}

/**
 * The live pool. `apply` reconciles it with the registry: a ready server gets a pool and
 * health checks, a draining one keeps its pool (so in-flight requests finish) but gets no
 * new requests, a gone one is closed once its last request is done.
 */
export class UpstreamSet {
  private readonly byId = new Map<string, Upstream>();
  private synced = false;
  private readonly latch: FailOpenLatch;

  constructor(private readonly o: UpstreamSetOptions) {
    this.latch = new FailOpenLatch(o.log);
  }

  get size(): number {
    return this.byId.size;
  }

  apply(servers: readonly Server[], now: number): void {
    const seen = new Set<string>();
    for (const s of servers) {
      seen.add(s.id);
      const cur = this.byId.get(s.id);
      if (s.state === 'gone' || s.state === 'launching' || !s.address) {
        if (cur) this.retire(cur, s.state);
        continue;
      }
      if (cur && cur.address !== s.address) this.retire(cur, 'moved');
      const u = this.byId.get(s.id);
      if (u) {
        u.missingSince = 0;
        if (u.state !== s.state) {
          this.o.log.info({ server: u.id, from: u.state, to: s.state }, `pool: ${u.id} is ${s.state}`);
          u.state = s.state;
        }
      } else if (s.state === 'ready') {
        // servers already serving when the proxy starts skip the ramp; later arrivals take it
        const admitted = this.synced ? now : now - this.o.slowStartMs;
        const nu = new Upstream(s.id, s.address, s.state, this.o.pool, admitted);
        this.byId.set(s.id, nu);
        this.o.checker.watch(nu);
        this.o.log.info({ server: s.id, address: s.address }, `pool: ${s.id} joined`);
      }
    }
    for (const u of this.byId.values()) {
      if (seen.has(u.id)) continue;
      if (u.state === 'draining') this.retire(u, 'vanished');
      else if (!u.missingSince) u.missingSince = now;
      else if (now - u.missingSince > this.o.missingGraceMs) this.retire(u, 'vanished');
    }
    this.synced = true;
  }

  /**
   * Servers that may take a new request now, minus `tried`; each with its current slow start
   * weight. Fills `out` (emptied first), so the request path can reuse one array.
   */
  candidates(now: number, tried?: readonly Upstream[], out: Upstream[] = []): Upstream[] {
    out.length = 0;
    let ready = 0;
    let passing = 0;
    for (const u of this.byId.values()) {
      if (u.state !== 'ready' || stillEjected(u.health, now)) continue;
      ready++;
      if (!u.health.up) continue;
      passing++;
      if (u.inflight >= this.o.maxPending || tried?.includes(u)) continue;
      u.weight = slowStartWeight(now - u.health.admittedAt, this.o.slowStartMs);
      out.push(u);
    }
    this.latch.update(ready, passing);
    if (passing === 0) this.failOpen(now, out, tried);
    return out;
  }

  /**
   * No ready server passes its active checks: requests go to the ready ones anyway (see
   * fail-open.ts); retries and passive ejection still guard each request.
   */
  private failOpen(now: number, out: Upstream[], tried?: readonly Upstream[]): void {
    for (const u of this.byId.values()) {
      if (u.state !== 'ready' || stillEjected(u.health, now)) continue;
      if (u.inflight >= this.o.maxPending || tried?.includes(u)) continue;
      u.weight = 1;
      out.push(u);
    }
  }

  /** True while no ready server passes its active checks and requests go to them anyway. */
  get failingOpen(): boolean {
    return this.latch.open;
  }

  /** Why `candidates` came back empty: nothing ready and healthy, or everything full. */
  allFull(now: number): boolean {
    for (const u of this.byId.values()) {
      if (u.state === 'ready' && (u.health.up || this.latch.open) && !stillEjected(u.health, now)) return true;
    }
    return false;
  }

  /** Passive health: feeds a request's outcome in and ejects the server if it keeps failing. */
  record(u: Upstream, failed: boolean, now: number): void {
    if (!observeRequest(u.health, failed, this.o.health.ejectAfter)) return;
    let ready = 0;
    let ejected = 0;
    for (const x of this.byId.values()) {
      if (x.state !== 'ready') continue;
      ready++;
      if (x.health.ejectedUntil > now) ejected++;
    }
    if (u.health.ejectedUntil > now) return;
    if (!ejectionAllowed(ready, ejected, this.o.health.maxEjectPercent)) {
      u.health.passiveFailures = 0;
      this.o.log.warn({ server: u.id, ready, ejected }, `pool: ${u.id} keeps failing but the ejection cap is reached`);
      return;
    }
    const ms = eject(u.health, this.o.health, now);
    this.o.log.warn({ server: u.id, address: u.address, forMs: ms }, `pool: ejected ${u.id} for ${ms} ms after consecutive failures`);
    this.o.onEject?.(u, ms);
  }

  members(): IterableIterator<Upstream> {
    return this.byId.values();
  }

  view(now: number): MemberView[] {
    return [...this.byId.values()].map((u) => {
      const stats = u.pool.stats;
      return {
        id: u.id,
        address: u.address,
        state: u.state,
        up: u.health.up,
        ejected: u.health.ejectedUntil > now,
        ejectedForMs: Math.max(0, u.health.ejectedUntil - now),
        inflight: u.inflight,
        weight: Math.round(slowStartWeight(now - u.health.admittedAt, this.o.slowStartMs) * 100) / 100,
        missingForMs: u.missingSince ? now - u.missingSince : 0,
        connected: stats.connected,
        queued: stats.queued,
      };
    });
  }

  async close(): Promise<void> {
    const all = [...this.byId.values()];
    this.byId.clear();
    for (const u of all) this.o.checker.unwatch(u.id);
    await Promise.all(all.map((u) => u.pool.destroy().catch(() => {})));
  }

  private retire(u: Upstream, why: string): void {
    this.byId.delete(u.id);
    this.o.checker.unwatch(u.id);
    this.o.log.info({ server: u.id, address: u.address, why, inflight: u.inflight }, `pool: ${u.id} left (${why})`);
    // close() lets requests already sent finish, then drops the keep-alive sockets
    u.pool.close().catch(() => {});
  }
}
