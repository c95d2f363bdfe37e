import type { FleetSnapshot } from '../../fleet/snapshot.js';

/** One entry of Prometheus HTTP service discovery: addresses to scrape and the labels they share. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** This autoscaler, as it serves /sd. */
export interface SelfTarget {
  id: string;
  /** host:port of this admin port, as others reach it. */
  address: string;
}

/**
 * Pure: the scrape targets a fleet snapshot names. App servers are scraped on their own
 * port (launching ones too, once they have an address, so a boot shows up at once),
 * proxies on their admin port (one target per proxy process: cluster workers share it),
 * and the autoscaler serving this answer plus the leader it knows of. Labels are the
 * ones a series keeps for life; the state, which changes, is a `__meta_` label for relabelling.
 */
export function targetGroups(snap: FleetSnapshot, self: SelfTarget): TargetGroup[] {
  const groups: TargetGroup[] = [];
  for (const s of snap.servers) {
    if (s.state === 'gone' || !s.address) continue;
    groups.push({ targets: [s.address], labels: { service: 'app', server: s.id, provider: s.provider, zone: s.zone, instance_id: s.instanceId, __meta_shoal_state: s.state } });
  }
  const proxies = new Map<string, string>();
  for (const p of snap.proxies) if (p.adminAddress && !proxies.has(p.adminAddress)) proxies.set(p.adminAddress, p.id.replace(/\/w\d+$/, ''));
  for (const [address, id] of proxies) groups.push({ targets: [address], labels: { service: 'proxy', server: id } });
  groups.push({ targets: [self.address], labels: { service: 'autoscaler', server: self.id } });
  const leader = snap.autoscaler;
  if (leader?.adminAddress && leader.leaderId !== self.id && leader.adminAddress !== self.address) {
    groups.push({ targets: [leader.adminAddress], labels: { service: 'autoscaler', server: leader.leaderId } });
  }
  return groups;
}
