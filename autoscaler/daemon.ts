import type { Fleet, Server } from '../fleet/index.js';
import type { RedisHealth } from '../fleet/health.js';
import { OnceLog, type Logger } from '../lib/log.js';
import type { AutoscalerMetrics } from './admin/metrics.js';
import { Drainer } from './drain.js';
import { emptyHistory } from './engine/config.js';
import { decide } from './engine/decide.js';
import type { Decision, EngineConfig, History, ServerInput } from './engine/types.js';
import { Leadership, type RoleChange } from './leadership.js';
import type { FleetSnapshot } from '../fleet/snapshot.js';
import { FleetObserver } from './observe.js';
import type { Provider } from './providers/provider.js';
import { DecisionLog, worthRecording, type DecisionRecord } from './record.js';

export interface DaemonOptions {
  id: string;
  fleet: Fleet;
  /** Redis as this process last found it: a missed round trip holds every decision and action. */
  health: RedisHealth;
  provider: Provider;
  engine: EngineConfig;
  dryRun: boolean;
  drainTimeoutMs: number;
  log: Logger;
  metrics: AutoscalerMetrics;
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
      if (c.role === 'leader') this.history = emptyHistory();
      o.onRole(c);
    });
    this.drainer = new Drainer({
      fleet: o.fleet,
      provider: o.provider,
      log: o.log,
      timeoutMs: o.drainTimeoutMs,
      pollMs: Math.min(250, cfg.intervalMs),
      mayAct: () => this.leadership.mayAct(),
      onDone: (_id, how) => o.metrics.termination(how),
    });
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
      if (this.leadership.role === 'leader') await this.tick(snap);
      this.once.clear('tick', 'decisions resumed');
    } catch (err) {
      this.once.warn('tick', { err: (err as Error).message }, 'tick failed: holding until the next one');
    } finally {
      this.busy = false;
    }
  }

  private async tick(snap: FleetSnapshot): Promise<void> {
    const { provider, engine } = this.o;
    const known = snap.servers.filter((s) => s.state !== 'gone');
    const alive = new Set(await provider.list(known));
    const { servers, proxies } = this.observer.inputs(snap, provider.name, alive);
    // Servers the provider runs that the registry does not list (Redis restarted and their
    // heartbeats are not in yet) count as capacity with stale metrics: the engine then holds.
    const listed = new Set(snap.servers.map((s) => s.id));
    for (const id of alive) if (!listed.has(id)) servers.push(unregistered(id, provider.name, snap.at));
    const out = decide({ now: snap.at, config: engine, servers, proxies }, this.history);
    this.history = out.history;
    const acted = this.o.dryRun ? { launched: [], draining: [], markedGone: [] } : await this.act(out.decision, snap);
    await this.record(out.decision, acted);
  }

  private async act(d: Decision, snap: FleetSnapshot): Promise<DecisionRecord['acted']> {
    const { fleet, provider, log } = this.o;
    const acted: DecisionRecord['acted'] = { launched: [], draining: [], markedGone: [] };
    const byId = new Map(snap.servers.map((s) => [s.id, s]));
    for (const dead of d.dead) {
      if (!(await this.leadership.mayAct())) return acted;
      const s = byId.get(dead.id)!;
      if (dead.reason === 'boot-timeout' && s.provider === provider.name) await provider.terminate([s]);
      const res = await fleet.registry.gone(dead.id);
      if (res.ok) acted.markedGone.push(dead.id);
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
      try {
        acted.launched = await provider.launch(d.launch);
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
    const worth = worthRecording(this.decisions.last, d);
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
    });
    if (worth) await fleet.decisions.append(rec as unknown as Record<string, unknown>);
  }
}

/** A stand-in for a server the provider runs but the registry lost: stale, so it holds the fleet. */
function unregistered(id: string, provider: string, now: number): ServerInput {
  const server: Server = { id, address: '', state: 'ready', provider, instanceId: '', host: '', launchedAt: now, heartbeatAt: 0, stateChangedAt: 0, bootId: '' };
  return { server, provider: 'alive' };
}
