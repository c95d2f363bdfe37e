import type { RequestStats } from '../../fleet/index.js';
import { emptyHistory } from '../engine/config.js';
import { decide } from '../engine/decide.js';
import { addSample } from '../engine/rates.js';
import type { Decision, EngineConfig, History, ServerInput, TotalSample } from '../engine/types.js';
import type { Scaler, SimServer, SimView } from './world.js';

/** shoal's engine in the simulator, fed the way the daemon feeds it: samples every second, a decision per interval. */
export class EngineScaler implements Scaler {
  readonly name = 'shoal';
  readonly intervalMs: number;
  readonly decisions: Decision[] = [];
  private history: History = emptyHistory();
  private readonly samples = new Map<string, TotalSample[]>();
  private proxySamples: TotalSample[] = [];

  constructor(
    private readonly config: EngineConfig,
    /** Whether a proxy reports the offered rate (the demand signal); else only the servers' own rates. */
    private readonly withProxy = true,
  ) {
    this.intervalMs = config.intervalMs;
  }

  observe(view: SimView): void {
    const keep = Math.max(this.config.rateWindowMs, this.config.intervalMs) * 2;
    for (const s of view.servers) {
      if (s.server.state !== 'ready' && s.server.state !== 'draining') continue;
      this.samples.set(s.server.id, addSample(this.samples.get(s.server.id) ?? [], { at: view.now, total: s.total, bootId: s.server.bootId }, keep));
    }
    this.proxySamples = addSample(this.proxySamples, { at: view.now, total: view.offeredTotal, bootId: 'proxy' }, keep);
  }

  tick(view: SimView): { launch: number; remove: string[]; rule: string } {
    const servers: ServerInput[] = view.servers.map((s) => ({
      server: { ...s.server },
      stats: s.server.state === 'ready' || s.server.state === 'draining' ? stats(s, view.now) : undefined,
      samples: this.samples.get(s.server.id),
      provider: s.server.state === 'gone' ? 'gone' : 'alive',
    }));
    const proxies = this.withProxy
      ? [{ info: { id: 'p', address: '', adminAddress: '', heartbeatAt: view.now, appliedPoolVersion: 0, offeredTotal: view.offeredTotal, servedTotal: view.servedTotal, offeredRps: 0, servedRps: 0, bootId: 'proxy' }, samples: this.proxySamples }]
      : [];
    const out = decide({ now: view.now, config: this.config, servers, proxies }, this.history);
    this.history = out.history;
    this.decisions.push(out.decision);
    return { launch: out.decision.launch, remove: out.decision.remove, rule: out.decision.rule };
  }
}

function stats(s: SimServer, now: number): RequestStats {
  const rps = s.window.length ? s.window.reduce((a, b) => a + b, 0) / s.window.length : 0;
  return { serverId: s.server.id, bootId: s.server.bootId, total: s.total, s2xx: s.total, s3xx: 0, s4xx: 0, s5xx: 0, inflight: 0, rps, p50Ms: 1, p95Ms: 2, updatedAt: now };
}
