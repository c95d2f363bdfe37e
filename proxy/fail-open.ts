import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../lib/log.js';

// Fail open: when no ready server passes its active checks, requests go to the ready servers
// anyway, as an ELB target group does when every target is unhealthy (Envoy's panic mode). A
// check timing out on an overloaded machine, or a dependency every /readyz shares, is then
// likelier than every server being dead, and a 503 for every request is the worst answer.
// Each data plane routes so in its own way; both say so through this latch.

/** Whether the proxy fails open now, logged once when it starts and once when it ends. */
export class FailOpenLatch {
  private isOpen = false;

  constructor(private readonly log: Logger) {}

  get open(): boolean {
    return this.isOpen;
  }

  /** Takes the ready servers (neither draining nor ejected) and how many of them pass their checks. */
  update(ready: number, passing: number): void {
    const open = ready > 0 && passing === 0;
    if (open === this.isOpen) return;
    this.isOpen = open;
    if (open) this.log.warn({ servers: ready }, 'pool: every ready server fails its health checks; routing to them anyway (fail open)');
    else if (passing > 0) this.log.info({ servers: passing }, 'pool: a server passes its health checks again; fail open is over');
    else this.log.info('pool: no ready server left; fail open is over');
  }
}

/** `shoal_proxy_fail_open`, for an alert: a proxy failing open is serving on servers its checks call unhealthy. */
export function failOpenGauge(registry: Registry, open: () => boolean): void {
  new Gauge({
    name: 'shoal_proxy_fail_open',
    help: '1 while no ready server passes its health checks and requests go to them anyway (fail open)',
    registers: [registry],
    // the cluster primary sums workers' series: 1 if any worker fails open, not the count
    aggregator: 'max',
    collect() {
      this.set(open() ? 1 : 0);
    },
  });
}
