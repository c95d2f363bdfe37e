import type { Server } from '../../fleet/index.js';
import type { Instance } from '../providers/provider.js';
import type { ProviderView } from './types.js';

export interface ReconcileInput {
  now: number;
  /** The provider's name: only registry entries it launched are judged here. */
  provider: string;
  /** An instance with no live registry entry for this long (and this old) is an orphan; one pending this long is stuck. */
  bootTimeoutMs: number;
  /** A registered server missing from the listing counts as alive this long after launch (EC2's listing lags a launch). */
  listGraceMs: number;
  /** What the provider runs. */
  instances: readonly Instance[];
  /** The registry, `gone` entries included. */
  servers: readonly Server[];
}

/** Carried from one tick to the next: when each instance was first seen without a live entry. */
export interface ReconcileHistory {
  unregisteredSince: Record<string, number>;
}

export type TerminateReason = 'orphan' | 'stuck-pending';

export interface Reconciliation {
  /** The provider's view of every live registry entry it launched, by server id. */
  views: Map<string, ProviderView>;
  /** Running instances with no registry entry at all (Redis lost it, or the app has not registered yet): counted as capacity. */
  unregistered: Instance[];
  /** Instances to terminate: orphans (no live entry past the boot timeout) and stuck boots. */
  terminate: { instance: Instance; reason: TerminateReason }[];
  history: ReconcileHistory;
}

export function emptyReconcileHistory(): ReconcileHistory {
  return { unregisteredSince: {} };
}

const live = (s: Server) => s.state !== 'gone';
const up = (i: Instance) => i.state === 'pending' || i.state === 'running';

/**
 * Squares what the provider runs with what the registry says, like a controller's
 * reconcile loop. Pure: the daemon lists, calls this, then marks and terminates.
 * - a live entry whose instance is gone (or missing past the grace) is seen as gone;
 * - an instance pending past the boot timeout is stuck: terminated (its entry then dies);
 * - an instance without a live entry is an orphan once it has been so for a boot timeout
 *   (counted from when this leader first saw it, so a new leader never kills on sight).
 */
export function reconcile(input: ReconcileInput, history: ReconcileHistory): Reconciliation {
  const { now, bootTimeoutMs } = input;
  const entries = input.servers.filter((s) => s.provider === input.provider);
  const byId = new Map(entries.map((s) => [s.id, s]));
  const byInstance = new Map(entries.filter((s) => s.instanceId).map((s) => [s.instanceId, s]));
  const entryOf = (i: Instance) => byId.get(i.id) ?? byInstance.get(i.instanceId);

  const terminate: Reconciliation['terminate'] = [];
  const stuck = new Set<string>();
  for (const i of input.instances) {
    if (i.state === 'pending' && now - i.launchedAt > bootTimeoutMs) {
      terminate.push({ instance: i, reason: 'stuck-pending' });
      stuck.add(i.instanceId);
    }
  }

  const unregistered: Instance[] = [];
  const since: Record<string, number> = {};
  for (const i of input.instances) {
    if (!up(i) || stuck.has(i.instanceId)) continue;
    const entry = entryOf(i);
    if (entry && live(entry)) continue;
    const first = history.unregisteredSince[i.instanceId] ?? now;
    since[i.instanceId] = first;
    if (now - first >= bootTimeoutMs && now - i.launchedAt >= bootTimeoutMs) terminate.push({ instance: i, reason: 'orphan' });
    else if (!entry) unregistered.push(i);
  }

  const instanceOf = new Map<string, Instance>();
  for (const i of input.instances) {
    const entry = entryOf(i);
    if (entry) instanceOf.set(entry.id, i);
  }
  const views = new Map<string, ProviderView>();
  for (const s of entries.filter(live)) {
    const i = instanceOf.get(s.id);
    const alive = i ? up(i) && !stuck.has(i.instanceId) : now - s.launchedAt < input.listGraceMs;
    views.set(s.id, alive ? 'alive' : 'gone');
  }
  return { views, unregistered, terminate, history: { unregisteredSince: since } };
}
