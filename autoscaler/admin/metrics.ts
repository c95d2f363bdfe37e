import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS, redisUpGauge, tierRegistry } from '../../lib/metrics.js';
import type { Decision } from '../engine/types.js';

/** The autoscaler's Prometheus metrics, on their own registry (served at the admin port's /metrics). */
export class AutoscalerMetrics {
  readonly registry: Registry;
  private readonly desired: Gauge;
  private readonly actual: Gauge;
  private readonly ready: Gauge;
  private readonly leader: Gauge;
  private readonly decisions: Counter<'action' | 'rule'>;
  private readonly lastDecision: Gauge;
  private readonly interval: Gauge;
  private readonly tick: Histogram;
  private readonly launched: Counter;
  private readonly terminated: Counter<'how'>;
  private readonly held: Counter<'why'>;
  private readonly bootFailures: Gauge;

  constructor(server: string, intervalMs: number, redisUp: () => boolean) {
    const registers = [(this.registry = tierRegistry('autoscaler', server))];
    this.desired = new Gauge({ name: 'shoal_autoscaler_desired_servers', help: 'Servers the last decision asked for', registers });
    this.actual = new Gauge({ name: 'shoal_autoscaler_actual_servers', help: 'Servers counted as capacity (launching, warming, ready)', registers });
    this.ready = new Gauge({ name: 'shoal_autoscaler_ready_servers', help: 'Servers in state ready (warming included: they take traffic) at the last decision', registers });
    this.leader = new Gauge({ name: 'shoal_autoscaler_leader', help: '1 while this process holds the leader lock', registers });
    this.decisions = new Counter({ name: 'shoal_autoscaler_decisions_total', help: 'Decisions by action (scale-out, scale-in, none) and the rule that settled them', labelNames: ['action', 'rule'], registers });
    this.lastDecision = new Gauge({ name: 'shoal_autoscaler_last_decision_timestamp_seconds', help: 'When this process last decided (epoch seconds)', registers });
    this.interval = new Gauge({ name: 'shoal_autoscaler_interval_seconds', help: 'Time between decisions (--interval)', registers });
    this.interval.set(intervalMs / 1000);
    this.tick = new Histogram({ name: 'shoal_autoscaler_tick_duration_seconds', help: 'One decision: list the provider, decide, act, record', buckets: LATENCY_BUCKETS, registers });
    this.launched = new Counter({ name: 'shoal_autoscaler_launched_total', help: 'App servers launched', registers });
    this.terminated = new Counter({ name: 'shoal_autoscaler_terminated_total', help: 'App servers terminated, by how the drain ended', labelNames: ['how'], registers });
    this.held = new Counter({ name: 'shoal_autoscaler_held_ticks_total', help: 'Ticks with no decision at all, by why (Redis unreachable)', labelNames: ['why'], registers });
    this.bootFailures = new Gauge({ name: 'shoal_autoscaler_boot_failures', help: 'Boot failures in a row (launches back off while > 0)', registers });
    redisUpGauge(this.registry, redisUp);
  }

  decision(d: Decision): void {
    this.desired.set(d.desired);
    this.actual.set(d.current);
    this.ready.set(d.explanation.counts.ready + d.explanation.counts.warming);
    this.decisions.inc({ action: d.action, rule: d.rule });
    this.lastDecision.set(d.at / 1000);
    this.bootFailures.set(d.explanation.bootFailures);
  }

  /** Times one tick, however it ends. */
  timeTick(): () => void {
    return this.tick.startTimer();
  }

  heldTick(why: string): void {
    this.held.inc({ why });
  }

  leading(yes: boolean): void {
    this.leader.set(yes ? 1 : 0);
  }

  launches(n: number): void {
    this.launched.inc(n);
  }

  termination(how: string): void {
    this.terminated.inc({ how });
  }
}
