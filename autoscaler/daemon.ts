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
import type { ScheduledFiring, Scheduler } from './scheduler.js';
import type { CostMeter, CostSummary } from './cost-meter.js';

export interface DaemonOptions {
  id: string;
  fleet: Fleet;
  /** Redis as this process last found it: a missed round trip holds every decision and action. */
  health: RedisHealth;
  provider: Provider & { readonly listingLagMs: number };
  engine: EngineConfig;
  /** The fleet's running cost, from each tick's listing. */
  cost: CostMeter;
  /** Scheduled actions that change min/max/desired at set times. */
  scheduler?: Scheduler;
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
  /** Servers a decision already judged dead: their exit (our own stop at a boot timeout) is not a second death. */
  private judged = new Set<string>();
  /** The cost meter taking over the previous leader's totals: a tick waits for it, else it would record a blank ledger over them. */
  private costResumed: Promise<void> = Promise.resolve();
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
        // A standby does not follow the fleet: the provider refreshes its book now, the first ticks do not wait for it.
        void o.provider.lead?.(cfg.intervalMs);
        o.scheduler?.resume(Date.now());
        this.costResumed = o.fleet.autoscaler.read().then((s) => o.cost.resume(s?.cost, Date.now()), () => o.cost.resume(undefined, Date.now()));
        this.history = emptyHistory();
        this.reconciled = emptyReconcileHistory();
        this.exits.clear();
        this.judged.clear();
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
    if (this.leadership.role === 'leader' && !this.judged.has(i.id)) this.exits.set(i.id, res.was);
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
    const { provider } = this.o;
    const scheduled = this.o.scheduler?.take(snap.at);
    // The scheduled sizes hold until the next action; a scheduled desired is a floor for this one decision (then the metrics rule, as after an ASG scheduled action).
    const engine: EngineConfig = scheduled ? { ...this.o.engine, ...scheduled.sizes } : this.o.engine;
    const config = scheduled?.desired !== undefined ? { ...engine, min: Math.max(engine.min, scheduled.desired) } : engine;
    const instances = await provider.list();
    // An incomplete listing (a new leader's book not yet confirmed) judges nothing: a server it
    // lacks counts as alive, nothing is terminated as an orphan, nothing scales in.
    const complete = provider.complete ?? true;
    this.instances = instances;
    await this.costResumed;
    const cost = this.o.cost.observe(instances, snap.at);
    const listGraceMs = complete ? Math.max(provider.listingLagMs, 0) : Infinity;
    const reconciled = reconcile({ now: snap.at, provider: provider.name, bootTimeoutMs: engine.bootTimeoutMs, listGraceMs, instances, servers: snap.servers }, this.reconciled);
    const rec = complete ? reconciled : { ...reconciled, terminate: [] };
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
    const incomplete = complete ? {} : { incomplete: `the ${provider.name} provider's first full listing since taking the lead is still under way (${instances.length} instances known so far)` };
    const out = decide({ now: snap.at, config, servers: inputs.servers, proxies: inputs.proxies, ...incomplete }, this.history);
    this.history = out.history;
    this.judge(out.decision.dead);
    const none: DecisionRecord['acted'] = { launched: [], draining: [], markedGone: [], terminated: [] };
    const acted = this.o.dryRun ? none : await this.act(out.decision, seen, rec);
    const costChange = this.o.cost.change(out.decision.launch, out.decision.remove);
    await this.record(out.decision, acted, engine, scheduled?.fired ?? [], { summary: cost, change: costChange });
  }

  /**
   * Remember who this decision judged dead before acting on it: stopping a boot that timed out
   * makes the launcher report an exit, which would otherwise be judged again next tick.
   */
  private judge(dead: Decision['dead']): void {
    for (const d of dead) this.judged.add(d.id);
    // oldest first: an exit comes within a tick or two of its verdict
    for (const id of this.judged) if (this.judged.size > 200) this.judged.delete(id);
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
    if (provider.adopt && rec.unregistered.length && (await this.leadership.mayAct())) await provider.adopt(rec.unregistered);
    await this.drainLeaving(byId, acted);
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

  /**
   * Instances the provider is taking away (an Auto Scaling group's terminating hook holds
   * them) are drained like a scale-in; one that never became ready has nothing to drain.
   */
  private async drainLeaving(byId: ReadonlyMap<string, Server>, acted: DecisionRecord['acted']): Promise<void> {
    for (const i of this.instances.filter((x) => x.leaving)) {
      if (this.drainer.inProgress.includes(i.id) || !(await this.leadership.mayAct())) continue;
      const s = byId.get(i.id);
      if (s?.state === 'ready') {
        this.o.log.info({ id: i.id }, 'the provider is taking this server away: draining it first');
        this.drainer.start(s);
        acted.draining.push(i.id);
      } else if (s?.state !== 'draining') {
        await this.o.provider.terminate([i]);
        if (s && s.state !== 'gone') await this.o.fleet.registry.gone(s.id);
      }
    }
  }

  private async record(decision: Decision, acted: DecisionRecord['acted'], engine: EngineConfig, fired: ScheduledFiring[], cost: { summary: CostSummary; change: number }): Promise<void> {
    const { fleet, log, provider } = this.o;
    const scheduledWhy = fired.map((f) => `scheduled action "${f.action}" (${this.o.scheduler!.tz}): ${f.changes}. `).join('');
    const costWhy = cost.change !== 0 ? ` Cost ${cost.change > 0 ? '+' : '−'}$${Math.abs(cost.change).toFixed(4)}/h.` : '';
    const d = { ...decision, reason: `${scheduledWhy}${decision.reason}${costWhy}` };
    const rec: DecisionRecord = { ...d, leader: this.o.id, token: this.leadership.token, dryRun: this.o.dryRun, acted, costPerHourChange: cost.change, ...(fired.length ? { scheduled: fired } : {}) };
    const worth = fired.length > 0 || worthRecording(this.decisions.last, d, acted);
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
      nextActions: this.o.scheduler?.upcoming(d.at) ?? [],
      cost: cost.summary,
    });
    if (worth) await fleet.decisions.append(rec as unknown as Record<string, unknown>);
  }
}

/** A stand-in for a server the provider runs but the registry lost: stale, so it holds the fleet. */
function unregistered(i: Instance, provider: string, now: number): ServerInput {
  const server: Server = { id: i.id, address: '', state: 'ready', provider, instanceId: i.instanceId, host: '', zone: i.zone, launchedAt: i.launchedAt, heartbeatAt: now, stateChangedAt: 0, bootId: '' };
  return { server, provider: 'unknown' };
}
