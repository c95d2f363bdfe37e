import { GROUP_TAG } from '../../ec2/asg/group.js';
import type { Instance, InstanceState } from './provider.js';

export { GROUP_TAG };

/** One instance as DescribeAutoScalingGroups or DescribeAutoScalingInstances lists it. */
export interface GroupMember {
  instanceId: string;
  zone: string;
  lifecycleState: string;
  protectedFromScaleIn: boolean;
}

/**
 * The group's members as the provider's instances, with EC2's state and launch time (`ec2`:
 * the group's instances as the instance book knows them). A member the terminating hook holds
 * is still serving, and `leaving`: shoal drains it. An instance that left the group is gone to
 * shoal, whatever EC2 says (unless `strangersGone` is false: the members are not all known yet). Also says which live members lack scale-in protection and which
 * the hook holds (they need heartbeats).
 */
export function asgInstances(members: Iterable<GroupMember>, ec2: readonly Instance[], now: number, strangersGone = true): { instances: Instance[]; unprotected: string[]; held: string[] } {
  const byId = new Map(ec2.map((i) => [i.instanceId, i]));
  const memberIds = new Set<string>();
  const instances: Instance[] = [];
  const unprotected: string[] = [];
  const held: string[] = [];
  for (const m of members) {
    memberIds.add(m.instanceId);
    const e = byId.get(m.instanceId);
    // A member EC2 does not list yet (its listing lags a launch) is pending.
    let state: InstanceState = e ? e.state : 'pending';
    const leaving = m.lifecycleState === 'Terminating:Wait';
    if (m.lifecycleState.startsWith('Terminating') && !leaving && state !== 'gone') state = 'stopping';
    if (leaving) held.push(m.instanceId);
    else if (!m.protectedFromScaleIn && (state === 'pending' || state === 'running') && !m.lifecycleState.startsWith('Terminating')) unprotected.push(m.instanceId);
    const billing = e ? { ...(e.instanceType ? { instanceType: e.instanceType } : {}), market: e.market ?? ('on-demand' as const) } : {};
    instances.push({ id: m.instanceId, instanceId: m.instanceId, state, zone: m.zone, launchedAt: e?.launchedAt || now, ...billing, ...(leaving ? { leaving } : {}) });
  }
  for (const e of ec2) {
    if (memberIds.has(e.instanceId) || !strangersGone) continue;
    instances.push({ id: e.instanceId, instanceId: e.instanceId, state: 'gone', zone: e.zone, launchedAt: e.launchedAt });
  }
  return { instances, unprotected, held };
}

/**
 * The instances a tick asks the group about (DescribeAutoScalingInstances), so the whole group
 * is described only at full listings: those its activities named since the last tick, members
 * not in service (launching, leaving), and instances EC2 lists up that the group's members
 * lack (just launched). Pure.
 */
export function toWatch(members: ReadonlyMap<string, GroupMember>, ec2: readonly Instance[], named: Iterable<string>): string[] {
  const watch = new Set(named);
  for (const m of members.values()) if (m.lifecycleState !== 'InService') watch.add(m.instanceId);
  for (const i of ec2) if ((i.state === 'pending' || i.state === 'running') && !members.has(i.instanceId)) watch.add(i.instanceId);
  return [...watch];
}

/** The instance ids scaling activities name ("Launching a new EC2 instance: i-…", "Terminating EC2 instance: i-…"). */
export function activityInstances(descriptions: Iterable<string>): string[] {
  const ids = new Set<string>();
  for (const d of descriptions) for (const m of d.matchAll(/\bi-[0-9a-f]+\b/g)) ids.add(m[0]);
  return [...ids];
}

/**
 * The desired capacity for `count` more servers: counted from the group's live members (not
 * its current desired), so a replacement the group already started for a lost instance is
 * not asked for twice; never above the group's max.
 */
export function newDesired(live: number, count: number, max: number): number {
  return Math.min(max, live + count);
}
