import { ApiError } from '../errors.js';

/**
 * An Auto Scaling group as plain data, and its behaviour as pure functions: the embedded
 * endpoint's AutoScaling shell applies them and launches or terminates what they say.
 * States and rules follow AWS's (desired within min/max, balanced zones, the default
 * termination policy, scale-in protection, lifecycle hooks with a heartbeat timeout).
 */
/** The tag AWS puts on every instance a group launches: how a group's instances are found with DescribeInstances. */
export const GROUP_TAG = 'aws:autoscaling:groupName';

export type LifecycleState = 'Pending' | 'Pending:Wait' | 'InService' | 'Terminating' | 'Terminating:Wait';
export type Transition = 'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING';
export type HookResult = 'CONTINUE' | 'ABANDON';

export interface LifecycleHook {
  name: string;
  transition: Transition;
  heartbeatTimeoutS: number;
  defaultResult: HookResult;
}

/** A lifecycle action an instance waits in: the hook, its token and when it times out. */
export interface PendingAction {
  hook: string;
  token: string;
  deadline: number;
  /** Heartbeats extend the deadline up to 100 timeouts or 48 h, as AWS allows. */
  startedAt: number;
}

export interface GroupInstance {
  instanceId: string;
  zone: string;
  subnetId: string;
  instanceType: string;
  /** Launched as Spot (a MixedInstancesPolicy's share); absent: On-Demand. */
  market?: 'spot';
  lifecycleState: LifecycleState;
  healthStatus: 'Healthy' | 'Unhealthy';
  protectedFromScaleIn: boolean;
  launchedAt: number;
  action?: PendingAction;
}

export interface GroupTag {
  key: string;
  value: string;
  propagateAtLaunch: boolean;
}

export interface Activity {
  activityId: string;
  description: string;
  cause: string;
  startTime: number;
  statusCode: 'InProgress' | 'Successful' | 'Failed';
}

/** A MixedInstancesPolicy's InstancesDistribution: how launches split between On-Demand and Spot. */
export interface Distribution {
  onDemandBase: number;
  /** 0-100: the On-Demand share of the capacity above the base. */
  onDemandPercentAbove: number;
  spotAllocationStrategy: string;
}

export interface Group {
  name: string;
  createdAt: number;
  launchTemplate: { id: string; name: string; version: string };
  /** With a MixedInstancesPolicy: the split, and the instance types to launch in order (empty: the template's). */
  mixed?: { distribution: Distribution; instanceTypes: string[] };
  min: number;
  max: number;
  desired: number;
  /** The VPCZoneIdentifier's subnets, each with its zone. */
  subnets: { subnetId: string; zone: string }[];
  defaultCooldownS: number;
  healthCheckGracePeriodS: number;
  newInstancesProtectedFromScaleIn: boolean;
  tags: GroupTag[];
  instances: GroupInstance[];
  hooks: LifecycleHook[];
  /** Newest last, capped. */
  activities: Activity[];
}

/** What EC2 says of a group's instance (undefined: no such instance any more). */
export type Ec2State = 'pending' | 'running' | 'shutting-down' | 'terminated' | undefined;

/** What the shell must do after a step: launch into these subnets, terminate these instances. */
export interface Work {
  launch: { subnetId: string; zone: string; market: 'spot' | 'on-demand' }[];
  terminate: string[];
}

export interface Ids {
  token(): string;
  activity(): string;
}

/** Activities kept per group (AWS keeps six weeks'): enough for a 1,000-instance fleet's churn between two readers' looks. */
const MAX_ACTIVITIES = 2000;
const live = (i: GroupInstance) => !i.lifecycleState.startsWith('Terminating') && i.healthStatus === 'Healthy';

export function validateSizes(min: number, max: number, desired: number): void {
  if (min > max) throw new ApiError('ValidationError', `Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
  if (desired > max) throw new ApiError('ValidationError', `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`);
  if (desired < min) throw new ApiError('ValidationError', `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`);
}

function activity(g: Group, ids: Ids, now: number, description: string, cause: string, statusCode: Activity['statusCode'] = 'Successful'): Activity {
  const a: Activity = { activityId: ids.activity(), description, cause, startTime: now, statusCode };
  g.activities = [...g.activities, a].slice(-MAX_ACTIVITIES);
  return a;
}

function hookFor(g: Group, t: Transition): LifecycleHook | undefined {
  return g.hooks.find((h) => h.transition === t);
}

/** Puts an instance on its way out: into the terminating hook's wait, or straight to EC2. */
function beginTermination(g: Group, i: GroupInstance, now: number, ids: Ids, work: Work): void {
  const hook = hookFor(g, 'autoscaling:EC2_INSTANCE_TERMINATING');
  if (hook) {
    i.lifecycleState = 'Terminating:Wait';
    i.action = { hook: hook.name, token: ids.token(), deadline: now + hook.heartbeatTimeoutS * 1000, startedAt: now };
  } else {
    i.lifecycleState = 'Terminating';
    delete i.action;
    work.terminate.push(i.instanceId);
  }
}

/** A copy the functions below may change in place; callers keep their input untouched. */
function clone(g: Group): Group {
  return { ...g, instances: g.instances.map((i) => ({ ...i, ...(i.action ? { action: { ...i.action } } : {}) })), activities: [...g.activities] };
}

/** SetDesiredCapacity / UpdateAutoScalingGroup's sizes: validated against min and max. */
export function setSizes(g: Group, sizes: { min?: number; max?: number; desired?: number }): Group {
  const min = sizes.min ?? g.min;
  const max = sizes.max ?? g.max;
  // Changing only min or max drags desired into the new range, as AWS does.
  const desired = sizes.desired ?? Math.min(max, Math.max(min, g.desired));
  validateSizes(min, max, desired);
  return { ...clone(g), min, max, desired };
}

/** The zone (subnet) a launch goes to: the one with the fewest live instances, configured order on ties. */
function placeOne(g: Group, counts: Map<string, number>): { subnetId: string; zone: string } {
  const zones = [...new Set(g.subnets.map((s) => s.zone))];
  const zone = zones.reduce((best, z) => ((counts.get(z) ?? 0) < (counts.get(best) ?? 0) ? z : best), zones[0]!);
  counts.set(zone, (counts.get(zone) ?? 0) + 1);
  return g.subnets.find((s) => s.zone === zone)!;
}

/**
 * The default termination policy, for scale-in the group decides itself: from the zone with
 * the most instances, the oldest; protected instances are never chosen.
 */
function chooseVictims(g: Group, n: number): GroupInstance[] {
  const chosen: GroupInstance[] = [];
  const candidates = g.instances.filter((i) => live(i) && !i.protectedFromScaleIn);
  const counts = new Map<string, number>();
  for (const i of g.instances.filter(live)) counts.set(i.zone, (counts.get(i.zone) ?? 0) + 1);
  for (let k = 0; k < n; k++) {
    const left = candidates.filter((c) => !chosen.includes(c));
    if (!left.length) break;
    const pick = [...left].sort((a, b) => (counts.get(b.zone) ?? 0) - (counts.get(a.zone) ?? 0) || a.launchedAt - b.launchedAt)[0]!;
    counts.set(pick.zone, (counts.get(pick.zone) ?? 0) - 1);
    chosen.push(pick);
  }
  return chosen;
}

/**
 * One pass of the group's controller: follow what EC2 says of each instance, time out
 * lifecycle actions, replace unhealthy instances, and bring the live count to desired.
 */
export function step(input: Group, ec2: (id: string) => Ec2State, now: number, ids: Ids): { group: Group; work: Work } {
  const g = clone(input);
  const work: Work = { launch: [], terminate: [] };
  const kept: GroupInstance[] = [];
  for (const i of g.instances) {
    const s = ec2(i.instanceId);
    if (s === 'terminated' || s === undefined) {
      // Gone from EC2: out of the group (terminated by us, or behind the group's back).
      if (!i.lifecycleState.startsWith('Terminating')) activity(g, ids, now, `Terminating EC2 instance: ${i.instanceId}`, `an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped`);
      continue;
    }
    if (s === 'shutting-down' && !i.lifecycleState.startsWith('Terminating')) i.healthStatus = 'Unhealthy';
    if (i.lifecycleState === 'Pending' && s === 'running') {
      const hook = hookFor(g, 'autoscaling:EC2_INSTANCE_LAUNCHING');
      if (hook) {
        i.lifecycleState = 'Pending:Wait';
        i.action = { hook: hook.name, token: ids.token(), deadline: now + hook.heartbeatTimeoutS * 1000, startedAt: now };
      } else i.lifecycleState = 'InService';
    }
    if (i.action && now >= i.action.deadline) {
      const hook = g.hooks.find((h) => h.name === i.action!.hook);
      finishAction(g, i, hook?.defaultResult ?? 'CONTINUE', now, ids, work);
    }
    kept.push(i);
  }
  g.instances = kept;
  for (const i of g.instances) {
    if (i.healthStatus === 'Unhealthy' && !i.lifecycleState.startsWith('Terminating')) {
      activity(g, ids, now, `Terminating EC2 instance: ${i.instanceId}`, 'an instance was taken out of service in response to a health check');
      beginTermination(g, i, now, ids, work);
    }
  }
  const alive = g.instances.filter(live);
  if (alive.length < g.desired) {
    const counts = new Map<string, number>();
    for (const i of alive) counts.set(i.zone, (counts.get(i.zone) ?? 0) + 1);
    let spot = alive.filter((i) => i.market === 'spot').length;
    let onDemand = alive.length - spot;
    for (let k = alive.length; k < g.desired; k++) {
      const market = g.mixed ? marketFor(g.mixed.distribution, onDemand, spot) : 'on-demand';
      if (market === 'spot') spot++;
      else onDemand++;
      work.launch.push({ ...placeOne(g, counts), market });
    }
  } else if (alive.length > g.desired) {
    for (const v of chooseVictims(g, alive.length - g.desired)) {
      activity(g, ids, now, `Terminating EC2 instance: ${v.instanceId}`, `an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${alive.length} to ${g.desired}`);
      beginTermination(g, v, now, ids, work);
    }
  }
  return { group: g, work };
}

/**
 * The market of the next launch under an InstancesDistribution: On-Demand up to the base, then
 * the On-Demand percentage of what is above it (rounded in On-Demand's favour, as AWS does),
 * Spot for the rest. Pure.
 */
export function marketFor(d: Distribution, onDemand: number, spot: number): 'spot' | 'on-demand' {
  if (onDemand < d.onDemandBase) return 'on-demand';
  const aboveAfter = onDemand - d.onDemandBase + spot + 1;
  return onDemand - d.onDemandBase < Math.ceil((aboveAfter * d.onDemandPercentAbove) / 100) ? 'on-demand' : 'spot';
}

/** The end of a lifecycle action: a launch goes in service (or is abandoned), a termination proceeds. */
function finishAction(g: Group, i: GroupInstance, result: HookResult, now: number, ids: Ids, work: Work): void {
  const hook = i.action?.hook ?? '';
  delete i.action;
  if (i.lifecycleState === 'Pending:Wait') {
    if (result === 'CONTINUE') i.lifecycleState = 'InService';
    else {
      i.healthStatus = 'Unhealthy';
      i.lifecycleState = 'Terminating';
      work.terminate.push(i.instanceId);
    }
    return;
  }
  if (i.lifecycleState === 'Terminating:Wait') {
    i.lifecycleState = 'Terminating';
    work.terminate.push(i.instanceId);
    activity(g, ids, now, `Terminating EC2 instance: ${i.instanceId}`, `lifecycle action ${result} for hook ${hook}`);
  }
}

/** A new instance the shell launched for the group, with its `Launching a new EC2 instance` activity. */
export function added(g: Group, i: Omit<GroupInstance, 'lifecycleState' | 'healthStatus' | 'protectedFromScaleIn'>, now: number, ids: Ids): Group {
  const c = clone(g);
  const before = c.instances.filter(live).length;
  c.instances.push({ ...i, lifecycleState: 'Pending', healthStatus: 'Healthy', protectedFromScaleIn: g.newInstancesProtectedFromScaleIn });
  activity(c, ids, now, `Launching a new EC2 instance: ${i.instanceId}`, `an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${before} to ${before + 1}`);
  return c;
}

function member(g: Group, instanceId: string): GroupInstance {
  const i = g.instances.find((x) => x.instanceId === instanceId);
  if (!i) throw new ApiError('ValidationError', `The instance ${instanceId} is not part of Auto Scaling group ${g.name}.`);
  return i;
}

/** TerminateInstanceInAutoScalingGroup: this instance, whatever its protection; desired down by one if asked. */
export function terminateInstance(input: Group, instanceId: string, decrement: boolean, now: number, ids: Ids): { group: Group; work: Work; activity: Activity } {
  const g = clone(input);
  const work: Work = { launch: [], terminate: [] };
  const i = member(g, instanceId);
  if (decrement) {
    if (g.desired - 1 < g.min) throw new ApiError('ValidationError', `Currently, desiredCapacity (${g.desired}) is equal to minSize (${g.min}), and cannot be decremented below it.`);
    g.desired--;
  }
  const cause = decrement ? `an instance was taken out of service in response to a user request, shrinking the capacity from ${g.desired + 1} to ${g.desired}` : 'an instance was taken out of service in response to a user request';
  const a = activity(g, ids, now, `Terminating EC2 instance: ${instanceId}`, cause, 'InProgress');
  if (!i.lifecycleState.startsWith('Terminating')) beginTermination(g, i, now, ids, work);
  return { group: g, work, activity: a };
}

export function setProtection(input: Group, instanceIds: readonly string[], on: boolean): Group {
  const g = clone(input);
  for (const id of instanceIds) member(g, id).protectedFromScaleIn = on;
  return g;
}

export function setHealth(input: Group, instanceId: string, healthy: boolean): Group {
  const g = clone(input);
  member(g, instanceId).healthStatus = healthy ? 'Healthy' : 'Unhealthy';
  return g;
}

export function putHook(input: Group, hook: LifecycleHook): Group {
  const g = clone(input);
  if (hook.heartbeatTimeoutS < 30 || hook.heartbeatTimeoutS > 7200) throw new ApiError('ValidationError', `HeartbeatTimeout must be between 30 and 7200 seconds (got ${hook.heartbeatTimeoutS})`);
  g.hooks = [...g.hooks.filter((h) => h.name !== hook.name), hook];
  return g;
}

/** Finds the action a Complete/Heartbeat call names, by instance id or token, and checks its hook. */
function pendingAction(g: Group, hook: string, ref: { instanceId?: string; token?: string }): GroupInstance {
  if (!g.hooks.some((h) => h.name === hook)) throw new ApiError('ValidationError', `No Lifecycle Hook found for hook name: ${hook}`);
  const i = g.instances.find((x) => x.action?.hook === hook && (ref.token ? x.action.token === ref.token : x.instanceId === ref.instanceId));
  if (!i) throw new ApiError('ValidationError', `No active Lifecycle Action found with ${ref.token ? `token ${ref.token}` : `instance ID ${ref.instanceId}`}`);
  return i;
}

export function completeAction(input: Group, hook: string, ref: { instanceId?: string; token?: string }, result: HookResult, now: number, ids: Ids): { group: Group; work: Work } {
  const g = clone(input);
  const work: Work = { launch: [], terminate: [] };
  finishAction(g, pendingAction(g, hook, ref), result, now, ids, work);
  return { group: g, work };
}

/** RecordLifecycleActionHeartbeat: the wait restarts its timeout, within AWS's overall limit. */
export function heartbeat(input: Group, hook: string, ref: { instanceId?: string; token?: string }, now: number): Group {
  const g = clone(input);
  const i = pendingAction(g, hook, ref);
  const h = g.hooks.find((x) => x.name === hook)!;
  const limit = i.action!.startedAt + Math.min(100 * h.heartbeatTimeoutS, 48 * 3600) * 1000;
  i.action!.deadline = Math.min(limit, now + h.heartbeatTimeoutS * 1000);
  return g;
}
