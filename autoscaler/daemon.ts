import { type Fleet, type Server, type ServerState } from '../fleet/index.js';
import type { RedisHealth } from '../fleet/health.js';
import { OnceLog, type Logger } from '../lib/log.js';
import type { AutoscalerMetrics } from './admin/metrics.js';
import { Drainer } from './drain.js';
import { emptyHistory } from './engine/config.js';
import { decide } from './engine/decide.js';
import { emptyReconcileHistory, reconcile, type Reconciliation, type ReconcileHistory } from './engine/reconcile.js';
import type { Decision, EngineConfig, History, ServerInput } from './engine/types.js';
import { Leadership, type RoleChange } from './leadership.js';
import type { FleetSnapshot } from '../fleet/snapshot.js';
import { FleetObserver } from './observe.js';
import type { Instance, Provider } from './providers/provider.js';
import { DecisionLog, worthRecording, type DecisionRecord } from './record.js';

export interface DaemonOptions {
  id: string;
  fleet: Fleet;
  /** Redis as this process last found it: a missed round trip holds every decision and action. */
  health: RedisHealth;
  provider: Provider & { readonly listingLagMs: number };
  engine: EngineConfig;
  dryRun: boolean;
  drainTimeoutMs: number;
  log: Logger;
  metrics: AutoscalerMetrics;
  /** host:port of the admin port, recorded by the leader so service discovery finds it. */
  adminAddress: () => string;
  onRole: (c: RoleChange) => void;
}

/**
 * The thin loop around the engine, like the HPA controller around its calculator: every
 * second it samples the fleet (leader and standby alike); every interval the leader
 * decides, acts (fencing token checked before each action) and records the decision.
 * Redis unreachable → nothing is decided or done until it is back.
 */
export class Daemon {
  readonly decisions = new DecisionLog();
  readonly leadership: Leadership;
  private readonly observer: FleetObserver;
  private readonly drainer: Drainer;
  private readonly once: OnceLog;
  private history: History = emptyHistory();
  private reconciled: ReconcileHistory = emptyReconcileHistory();
  /** The provider's last listing: what the drainer and the zone spread look at. */
  private instances: Instance[] = [];
  /** Servers the launcher saw exit since the last tick, with the state they were in. */
  private exits = new Map<string, ServerState>();
  private timer?: NodeJS.Timeout;
  private busy = false;
  private lastTick = 0;
  private stopped = false;

  constructor(private readonly o: DaemonOptions) {
    this.once = new OnceLog(o.log);
    const cfg = o.engine;
    this.observer = new FleetObserver(o.fleet, Math.max(cfg.rateWindowMs, cfg.intervalMs) * 3);
    this.leadership = new Leadership(o.fleet, o.id, Math.max(cfg.intervalMs, 300), o.log, (c) => {
      o.metrics.leading(c.role === 'leader');
      if (c.role === 'leader') {
        this.history = emptyHistory();
        this.reconciled = emptyReconcileHistory();
        this.exits.clear();
      }
      o.onRole(c);
    });
    this.drainer = new Drainer({
      fleet: o.fleet,
      provider: o.provider,
      log: o.log,
      timeoutMs: o.drainTimeoutMs,
      pollMs: Math.min(250, cfg.intervalMs),
      mayAct: () => this.leadership.mayAct(),
      isRunning: (s) => this.instances.some((i) => (i.id === s.id || i.instanceId === s.instanceId) && i.state !== 'gone'),
      onDone: (_id, how) => o.metrics.termination(how),
    });
    o.provider.watchExits?.((i) => void this.exited(i));
  }

  /**
   * The launcher saw a server end: `gone` at once, so proxies stop sending to it within a
   * pub/sub round trip; the leader replaces it at its next tick. Marking is a fact, not an
   * action, so a standby that sees it first may mark it too.
   */
  private async exited(i: Instance): Promise<void> {
    this.instances = this.instances.filter((x) => x.id !== i.id);
    if (!this.redisUp) return;
    const res = await this.o.fleet.registry.exited(i.id).catch(() => undefined);
    if (!res?.ok || !res.was) return;
    this.o.log.warn({ id: i.id, instanceId: i.instanceId, was: res.was }, 'app server exited: marked gone, replaced at the next tick');
    if (this.leadership.role === 'leader') this.exits.set(i.id, res.was);
  }

  get redisUp(): boolean {
    return this.o.health.up;
  }

  async start(): Promise<void> {
    await this.leadership.renew();
    this.leadership.start();
    this.timer = setInterval(() => void this.step(), Math.min(1000, this.o.engine.intervalMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.leadership.stop();
  }

  /** One sample, and a decision when an interval has passed. */
  async step(now = Date.now()): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      if (!this.redisUp) {
        this.once.warn('redis', {}, 'Redis unreachable: holding, no decisions and no actions until it is back');
        if (now - this.lastTick >= this.o.engine.intervalMs) {
          this.lastTick = now;
          this.o.metrics.heldTick('redis-unreachable');
        }
        return;
      }
      const snap = await this.observer.sample(now);
      this.once.clear('redis', 'Redis reachable again: resuming');
      if (now - this.lastTick < this.o.engine.intervalMs) return;
      this.lastTick = now;
      if (this.leadership.role === 'leader') {
        const done = this.o.metrics.timeTick();
        await this.tick(snap).finally(done);
      }
      this.once.clear('tick', 'decisions resumed');
    } catch (err) {
      this.once.warn('tick', { err: (err as Error).message }, 'tick failed: holding until the next one');
    } finally {
      this.busy = false;
    }
  }

  private async tick(snap: FleetSnapshot): Promise<void> {
    const { provider, engine } = this.o;
    const instances = await provider.list();
    this.instances = instances;
    const rec = reconcile(
      { now: snap.at, provider: provider.name, bootTimeoutMs: engine.bootTimeoutMs, listGraceMs: Math.max(provider.listingLagMs, 0), instances, servers: snap.servers },
      this.reconciled,
    );
    this.reconciled = rec.history;
    // A server the launcher saw exit is shown to the engine as it was, and dead: a death, not a scale-in.
    const exits = this.exits;
    this.exits = new Map();
    const views = new Map(rec.views);
    const servers = snap.servers.map((s) => {
      const was = exits.get(s.id);
      if (!was || s.state !== 'gone') return s;
      views.set(s.id, 'gone');
      return { ...s, state: was };
    });
    const seen: FleetSnapshot = { ...snap, servers };
    const inputs = this.observer.inputs(seen, provider.name, views);
    // Instances the registry does not list (Redis restarted and their heartbeats are not in
    // yet, or a leader died before writing the entry) count as capacity with stale metrics: the engine holds.
    for (const i of rec.unregistered) inputs.servers.push(unregistered(i, provider.name, snap.at));
    const out = decide({ now: snap.at, config: engine, servers: inputs.servers, proxies: inputs.proxies }, this.history);
    this.history = out.history;
    const none: DecisionRecord['acted'] = { launched: [], draining: [], markedGone: [], terminated: [] };
    const acted = this.o.dryRun ? none : await this.act(out.decision, seen, rec);
    await this.record(out.decision, acted);
  }

  private async act(d: Decision, snap: FleetSnapshot, rec: Reconciliation): Promise<DecisionRecord['acted']> {
    const { fleet, provider, log } = this.o;
    const acted: DecisionRecord['acted'] = { launched: [], draining: [], markedGone: [], terminated: [] };
    const byId = new Map(snap.servers.map((s) => [s.id, s]));
    const stopped = new Set<string>();
    for (const { instance, reason } of rec.terminate) {
      if (!(await this.leadership.mayAct())) return acted;
      log.warn({ id: instance.id, instanceId: instance.instanceId, reason, launchedAt: new Date(instance.launchedAt).toISOString() }, `terminating ${reason === 'orphan' ? 'an orphan (no registry entry)' : 'a boot stuck pending'}`);
      await provider.terminate([instance]);
      stopped.add(instance.instanceId);
      acted.terminated.push({ id: instance.id, instanceId: instance.instanceId, reason });
    }
    for (const dead of d.dead) {
      if (!(await this.leadership.mayAct())) return acted;
      const s = byId.get(dead.id)!;
      if (dead.reason === 'boot-timeout' && s.provider === provider.name && !stopped.has(s.instanceId)) await provider.terminate([s]);
      const now = await fleet.registry.get(dead.id);
      if (now && now.state !== 'gone') await fleet.registry.gone(dead.id);
      acted.markedGone.push(dead.id);
      log.warn({ id: dead.id, reason: dead.reason }, 'dead server marked gone');
    }
    // A drain an earlier leader (or the app itself) began is finished by whoever leads now.
    for (const s of snap.servers) {
      if (s.state === 'draining' && s.provider === provider.name && !this.drainer.inProgress.includes(s.id)) this.drainer.start(s);
    }
    for (const id of d.remove) {
      if (!(await this.leadership.mayAct())) return acted;
      this.drainer.start(byId.get(id)!);
      acted.draining.push(id);
    }
    if (d.launch > 0 && (await this.leadership.mayAct())) {
      const running = this.instances.filter((i) => (i.state === 'running' || i.state === 'pending') && !stopped.has(i.instanceId) && !d.remove.includes(i.id));
      try {
        acted.launched = await provider.launch(d.launch, running);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'launch failed');
      }
      this.o.metrics.launches(acted.launched.length);
    }
    return acted;
  }

  private async record(d: Decision, acted: DecisionRecord['acted']): Promise<void> {
    const { fleet, engine, log, provider } = this.o;
    const rec: DecisionRecord = { ...d, leader: this.o.id, token: this.leadership.token, dryRun: this.o.dryRun, acted };
    const worth = worthRecording(this.decisions.last, d, acted);
    this.decisions.push(rec);
    this.o.metrics.decision(d);
    const logged = { rule: d.rule, current: d.current, desired: d.desired, launched: acted.launched, draining: acted.draining, dryRun: this.o.dryRun };
    if (worth) log.info(logged, d.reason);
    else log.debug(logged, d.reason);
    if (!(await this.leadership.mayAct())) return;
    await fleet.autoscaler.write({
      leaderId: this.o.id,
      provider: provider.name,
      min: engine.min,
      max: engine.max,
      targetRps: engine.targetRps,
      targetMemory: engine.targetMemory,
      desired: d.desired,
      actual: d.current,
      intervalMs: engine.intervalMs,
      lastDecision: d.reason,
      updatedAt: d.at,
      adminAddress: this.o.adminAddress(),
    });
    if (worth) await fleet.decisions.append(rec as unknown as Record<string, unknown>);
  }
}

/** A stand-in for a server the provider runs but the registry lost: stale, so it holds the fleet. */
function unregistered(i: Instance, provider: string, now: number): ServerInput {
  const server: Server = { id: i.id, address: '', state: 'ready', provider, instanceId: i.instanceId, host: '', zone: i.zone, launchedAt: i.launchedAt, heartbeatAt: now, stateChangedAt: 0, bootId: '' };
  return { server, provider: 'unknown' };
}
