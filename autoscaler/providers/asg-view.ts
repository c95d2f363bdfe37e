import type { Instance as Ec2Instance } from '@aws-sdk/client-ec2';
import { GROUP_TAG } from '../../ec2/asg/group.js';
import type { Instance, InstanceState } from './provider.js';

export { GROUP_TAG };

/** One instance as DescribeAutoScalingGroups lists it. */
export interface GroupMember {
  instanceId: string;
  zone: string;
  lifecycleState: string;
  protectedFromScaleIn: boolean;
}

const EC2_STATES: Record<string, InstanceState> = { pending: 'pending', running: 'running', 'shutting-down': 'stopping', stopping: 'stopping', stopped: 'gone', terminated: 'gone' };

/**
 * The group's members as the provider's instances, with EC2's state and launch time. A
 * member the terminating hook holds is still serving, and `leaving`: shoal drains it. An
 * instance that left the group is gone to shoal, whatever EC2 says. Also says which live
 * members lack scale-in protection and which the hook holds (they need heartbeats).
 */
export function asgInstances(members: readonly GroupMember[], ec2: readonly Ec2Instance[], now: number): { instances: Instance[]; unprotected: string[]; held: string[] } {
  const byId = new Map(ec2.map((i) => [i.InstanceId!, i]));
  const memberIds = new Set(members.map((m) => m.instanceId));
  const instances: Instance[] = [];
  const unprotected: string[] = [];
  const held: string[] = [];
  for (const m of members) {
    const e = byId.get(m.instanceId);
    // A member EC2 does not list yet (its listing lags a launch) is pending.
    let state: InstanceState = e ? (EC2_STATES[e.State?.Name ?? ''] ?? 'gone') : 'pending';
    const leaving = m.lifecycleState === 'Terminating:Wait';
    if (m.lifecycleState.startsWith('Terminating') && !leaving && state !== 'gone') state = 'stopping';
    if (leaving) held.push(m.instanceId);
    else if (!m.protectedFromScaleIn && (state === 'pending' || state === 'running') && !m.lifecycleState.startsWith('Terminating')) unprotected.push(m.instanceId);
    const billing = e ? { ...(e.InstanceType ? { instanceType: e.InstanceType } : {}), market: e.InstanceLifecycle === 'spot' ? ('spot' as const) : ('on-demand' as const) } : {};
    instances.push({ id: m.instanceId, instanceId: m.instanceId, state, zone: m.zone, launchedAt: e?.LaunchTime?.getTime() ?? now, ...billing, ...(leaving ? { leaving } : {}) });
  }
  for (const e of ec2) {
    if (memberIds.has(e.InstanceId!)) continue;
    instances.push({ id: e.InstanceId!, instanceId: e.InstanceId!, state: 'gone', zone: e.Placement?.AvailabilityZone ?? '', launchedAt: e.LaunchTime?.getTime() ?? 0 });
  }
  return { instances, unprotected, held };
}

/**
 * The desired capacity for `count` more servers: counted from the group's live members (not
 * its current desired), so a replacement the group already started for a lost instance is
 * not asked for twice; never above the group's max.
 */
export function newDesired(live: number, count: number, max: number): number {
  return Math.min(max, live + count);
}
