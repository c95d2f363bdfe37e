import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Decision } from '../engine/types.js';

/** The autoscaler's Prometheus metrics, on their own registry (served at the admin port's /metrics). */
export class AutoscalerMetrics {
  readonly registry = new Registry();
  private readonly desired = new Gauge({ name: 'shoal_autoscaler_desired_servers', help: 'Servers the last decision asked for', registers: [this.registry] });
  private readonly actual = new Gauge({ name: 'shoal_autoscaler_actual_servers', help: 'Servers counted as capacity (launching, warming, ready)', registers: [this.registry] });
  private readonly leader = new Gauge({ name: 'shoal_autoscaler_leader', help: '1 while this process holds the leader lock', registers: [this.registry] });
  private readonly decisions = new Counter({ name: 'shoal_autoscaler_decisions_total', help: 'Decisions by the rule that settled them', labelNames: ['reason'], registers: [this.registry] });
  private readonly launched = new Counter({ name: 'shoal_autoscaler_launched_total', help: 'App servers launched', registers: [this.registry] });
  private readonly terminated = new Counter({ name: 'shoal_autoscaler_terminated_total', help: 'App servers terminated, by how the drain ended', labelNames: ['how'], registers: [this.registry] });
  private readonly held = new Counter({ name: 'shoal_autoscaler_held_ticks_total', help: 'Ticks with no decision at all, by why (Redis unreachable)', labelNames: ['why'], registers: [this.registry] });
  private readonly bootFailures = new Gauge({ name: 'shoal_autoscaler_boot_failures', help: 'Boot failures in a row (launches back off while > 0)', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'shoal_autoscaler_' });
  }

  decision(d: Decision): void {
    this.desired.set(d.desired);
    this.actual.set(d.current);
    this.decisions.inc({ reason: d.rule });
    this.bootFailures.set(d.explanation.bootFailures);
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
