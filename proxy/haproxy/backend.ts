import type { Server } from '../../fleet/index.js';
import type { Logger } from '../../lib/log.js';
import type { PoolSink } from '../membership.js';
import type { MemberView } from '../upstream.js';
import { BACKEND, FULL_WEIGHT } from './config.js';
import { diffPool, newPoolMemory, parseServersState, ramping, wantedPool, type DiffOptions, type WantedOptions } from './pool-diff.js';
import type { RuntimeApi } from './runtime-api.js';
import { mergeTwins, type ServerStat } from './stats.js';

export interface HaproxyPoolOptions extends WantedOptions, DiffOptions {
  api: RuntimeApi;
  log: Logger;
}

/**
 * HAProxy's backend as a pool sink: each pass reads what HAProxy holds (`show servers
 * state`), diffs it with the registry and sends the commands. `apply` resolves only once
 * HAProxy took every required command, so membership acknowledges a drain only when HAProxy
 * stopped sending to the server. Passes run one at a time; a ticker re-runs them while a
 * server ramps up (slow start weights) or one that left still has connections to finish.
 */
export class HaproxyPool implements PoolSink {
  private servers: readonly Server[] = [];
  private readonly mem = newPoolMemory();
  private chain: Promise<void> = Promise.resolve();
  private pendingDeletes = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: HaproxyPoolOptions) {
    this.timer = setInterval(() => {
      if (this.pendingDeletes || ramping(this.mem, Date.now(), o.slowStartMs)) this.reconcile().catch(() => {});
    }, 1000);
    this.timer.unref();
  }

  apply(servers: readonly Server[]): Promise<void> {
    this.servers = servers;
    return this.reconcile();
  }

  /** One more pass over the last registry read: after a restart HAProxy's backend is empty again. */
  reconcile(): Promise<void> {
    const next = this.chain.then(() => this.pass());
    this.chain = next.catch(() => {});
    return next;
  }

  close(): void {
    clearInterval(this.timer);
  }

  /**
   * What /pool shows: the servers HAProxy holds now (so a member listed is one it can send
   * to), with the registry's state — `gone` for one being deleted — and HAProxy's live figures,
   * its fail-open twin's added in.
   */
  view(stats: readonly ServerStat[]): MemberView[] {
    const wanted = new Map(wantedPool(this.servers, this.mem, Date.now(), this.o).map((w) => [w.name, w]));
    return mergeTwins(stats).map((s) => {
      const w = wanted.get(s.name);
      return {
        id: w?.id ?? s.name,
        address: w?.address ?? '',
        state: w?.state ?? 'gone',
        up: /^(UP|DRAIN|NOLB|no check)/.test(s.status),
        // HAProxy's observe-layer7 marks a failing server DOWN rather than ejecting it for a while
        ejected: false,
        ejectedForMs: 0,
        inflight: s.inflight,
        weight: (w?.weight ?? 0) / FULL_WEIGHT,
        missingForMs: 0,
        connected: s.inflight,
        queued: s.queued,
      };
    });
  }

  private async pass(): Promise<void> {
    const { api, log } = this.o;
    const actual = parseServersState(await api.send(`show servers state ${BACKEND}`));
    const steps = diffPool(wantedPool(this.servers, this.mem, Date.now(), this.o), actual, this.o);
    let pending = false;
    for (const step of steps) {
      try {
        await api.run(step.command);
        // slow start sends a weight a second per ramping server: not worth an info line each
        if (/^set server \S+ weight /.test(step.command)) log.debug({ command: step.command }, 'haproxy: applied');
        else log.info({ command: step.command }, `haproxy: ${step.command}`);
      } catch (err) {
        if (!step.retryLater) throw err;
        pending = true;
      }
    }
    this.pendingDeletes = pending;
  }
}
