import type { Fleet, Server } from '../fleet/index.js';
import { readSnapshot, type FleetSnapshot } from '../fleet/snapshot.js';
import { addSample } from './engine/rates.js';
import type { ProviderView, ProxyInput, ServerInput, TotalSample } from './engine/types.js';

/**
 * Reads the fleet (the one read the dashboard and `shoal status` use too) and keeps the
 * recent readings of every server's and proxy's monotonic totals, so the engine can compute
 * rates over a short window. Sampling runs more often than decisions (every monitor flush),
 * on the leader and the standby alike, so a new leader has rates at once.
 */
export class FleetObserver {
  private readonly serverSamples = new Map<string, TotalSample[]>();
  private readonly proxySamples = new Map<string, TotalSample[]>();
  last?: FleetSnapshot;

  constructor(
    private readonly fleet: Fleet,
    /** How long readings are kept: a few rate windows. */
    private readonly keepMs: number,
  ) {}

  async sample(now = Date.now()): Promise<FleetSnapshot> {
    const snap = { ...(await readSnapshot(this.fleet, { decisions: 0 })), at: now };
    for (const s of snap.servers) {
      const st = s.address ? snap.requests.get(s.address) : undefined;
      if (!st || s.state === 'gone') continue;
      this.serverSamples.set(s.id, addSample(this.serverSamples.get(s.id) ?? [], { at: st.updatedAt, total: st.total, bootId: st.bootId }, this.keepMs));
    }
    for (const p of snap.proxies) {
      this.proxySamples.set(p.id, addSample(this.proxySamples.get(p.id) ?? [], { at: p.heartbeatAt, total: p.offeredTotal, bootId: p.bootId }, this.keepMs));
    }
    this.forget(snap.servers.filter((s) => s.state !== 'gone').map((s) => s.id), this.serverSamples);
    this.forget(snap.proxies.map((p) => p.id), this.proxySamples);
    this.last = snap;
    return snap;
  }

  /** The engine's view of a snapshot; `views` is what the provider's listing says of its servers. */
  inputs(snap: FleetSnapshot, providerName: string, views: ReadonlyMap<string, ProviderView>): { servers: ServerInput[]; proxies: ProxyInput[] } {
    const view = (s: Server): ProviderView => (s.provider !== providerName ? 'unknown' : (views.get(s.id) ?? 'gone'));
    return {
      servers: snap.servers.map((s) => ({
        server: s,
        stats: s.address ? snap.requests.get(s.address) : undefined,
        samples: this.serverSamples.get(s.id),
        memory: s.address ? snap.memory.get(s.address) : undefined,
        provider: view(s),
      })),
      proxies: snap.proxies.map((info) => ({ info, samples: this.proxySamples.get(info.id) })),
    };
  }

  private forget(live: string[], book: Map<string, TotalSample[]>): void {
    const keep = new Set(live);
    for (const id of book.keys()) if (!keep.has(id)) book.delete(id);
  }
}
