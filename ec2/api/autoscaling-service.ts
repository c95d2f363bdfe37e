import { groupIds, type AutoScaling } from '../asg/autoscaling.js';
import { completeAction, heartbeat, putHook, setHealth, setProtection, setSizes, terminateInstance, validateSizes, type Activity, type Group, type GroupInstance, type HookResult, type LifecycleHook, type Transition } from '../asg/group.js';
import type { Cloud } from '../cloud.js';
import { ApiError } from '../errors.js';
import { findTemplate } from '../launch-template.js';
import { ACCOUNT_ID } from '../network.js';
import type { QueryParams } from '../query.js';
import { element, escapeXml, XML_DECLARATION, type XmlValue } from '../xml.js';
import { byTime, byTimeNewestFirst, page } from './paging.js';
import type { Action, QueryService } from './service.js';

export const AUTOSCALING_VERSION = '2011-01-01';
const XMLNS = `http://autoscaling.amazonaws.com/doc/${AUTOSCALING_VERSION}/`;
const TRANSITIONS = new Set<string>(['autoscaling:EC2_INSTANCE_LAUNCHING', 'autoscaling:EC2_INSTANCE_TERMINATING']);

/** Auto Scaling's own shapes: booleans, the `member` lists (rendered by the service), ARNs. */
function arn(region: string, g: Group): string {
  return `arn:aws:autoscaling:${region}:${ACCOUNT_ID}:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${g.name}`;
}

function templateXml(g: Group): XmlValue {
  return { LaunchTemplateId: g.launchTemplate.id, LaunchTemplateName: g.launchTemplate.name, Version: g.launchTemplate.version };
}

/** A group with a MixedInstancesPolicy shows its template there, not as LaunchTemplate (as AWS does). */
function launchXml(g: Group): Record<string, XmlValue> {
  if (!g.mixed) return { LaunchTemplate: templateXml(g) };
  const d = g.mixed.distribution;
  return {
    MixedInstancesPolicy: {
      LaunchTemplate: { LaunchTemplateSpecification: templateXml(g), Overrides: g.mixed.instanceTypes.map((t) => ({ InstanceType: t })) },
      InstancesDistribution: { OnDemandAllocationStrategy: 'prioritized', OnDemandBaseCapacity: d.onDemandBase, OnDemandPercentageAboveBaseCapacity: d.onDemandPercentAbove, SpotAllocationStrategy: d.spotAllocationStrategy },
    },
  };
}

const SPOT_STRATEGIES = new Set(['lowest-price', 'capacity-optimized', 'capacity-optimized-prioritized', 'price-capacity-optimized']);

/** MixedInstancesPolicy (Create/UpdateAutoScalingGroup): its template and split; undefined when not sent. */
function mixedPolicy(q: QueryParams, cloud: Cloud, current?: Group): { launchTemplate: Group['launchTemplate']; mixed: NonNullable<Group['mixed']> } | undefined {
  const m = q.struct('MixedInstancesPolicy');
  if (!m) return undefined;
  const spec = m.struct('LaunchTemplate.LaunchTemplateSpecification');
  const launchTemplate = spec ? templateRef(spec, cloud) : current?.launchTemplate;
  if (!launchTemplate) throw new ApiError('ValidationError', 'MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification is required');
  const d = m.struct('InstancesDistribution');
  const was = current?.mixed?.distribution;
  const base = d?.int('OnDemandBaseCapacity') ?? was?.onDemandBase ?? 0;
  const pct = d?.int('OnDemandPercentageAboveBaseCapacity') ?? was?.onDemandPercentAbove ?? 100;
  const strategy = d?.str('SpotAllocationStrategy') ?? was?.spotAllocationStrategy ?? 'price-capacity-optimized';
  if (base < 0) throw ApiError.invalidValue('OnDemandBaseCapacity', String(base), 'expected a value ≥ 0');
  if (pct < 0 || pct > 100) throw new ApiError('ValidationError', `OnDemandPercentageAboveBaseCapacity must be between 0 and 100 (got ${pct})`);
  if (!SPOT_STRATEGIES.has(strategy)) throw new ApiError('ValidationError', `Invalid SpotAllocationStrategy: ${strategy}`);
  const overrides = m.struct('LaunchTemplate') ? m.structs('LaunchTemplate.Overrides.member').map((o) => o.required('InstanceType')) : (current?.mixed?.instanceTypes ?? []);
  return { launchTemplate, mixed: { distribution: { onDemandBase: base, onDemandPercentAbove: pct, spotAllocationStrategy: strategy }, instanceTypes: overrides } };
}

function templateRef(lt: QueryParams, cloud: Cloud): Group['launchTemplate'] {
  const t = findTemplate(cloud.store.launchTemplates.values(), { id: lt.str('LaunchTemplateId'), name: lt.str('LaunchTemplateName') });
  return { id: t.id, name: t.name, version: lt.str('Version') ?? '$Default' };
}

function instanceXml(g: Group, i: GroupInstance): XmlValue {
  return {
    InstanceId: i.instanceId,
    InstanceType: i.instanceType,
    AvailabilityZone: i.zone,
    LifecycleState: i.lifecycleState,
    HealthStatus: i.healthStatus,
    ...(g.mixed ? {} : { LaunchTemplate: templateXml(g) }),
    ProtectedFromScaleIn: i.protectedFromScaleIn,
  };
}

function groupXml(region: string, g: Group, withInstances = true): XmlValue {
  return {
    AutoScalingGroupName: g.name,
    AutoScalingGroupARN: arn(region, g),
    ...launchXml(g),
    MinSize: g.min,
    MaxSize: g.max,
    DesiredCapacity: g.desired,
    DefaultCooldown: g.defaultCooldownS,
    AvailabilityZones: [...new Set(g.subnets.map((s) => s.zone))],
    LoadBalancerNames: [],
    TargetGroupARNs: [],
    HealthCheckType: 'EC2',
    HealthCheckGracePeriod: g.healthCheckGracePeriodS,
    ...(withInstances ? { Instances: g.instances.map((i) => instanceXml(g, i)) } : {}),
    CreatedTime: new Date(g.createdAt),
    SuspendedProcesses: [],
    VPCZoneIdentifier: g.subnets.map((s) => s.subnetId).join(','),
    EnabledMetrics: [],
    Tags: g.tags.map((t) => ({ ResourceId: g.name, ResourceType: 'auto-scaling-group', Key: t.key, Value: t.value, PropagateAtLaunch: t.propagateAtLaunch })),
    TerminationPolicies: ['Default'],
    NewInstancesProtectedFromScaleIn: g.newInstancesProtectedFromScaleIn,
    ServiceLinkedRoleARN: `arn:aws:iam::${ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
  };
}

function activityXml(g: Group, a: Activity): XmlValue {
  return { ActivityId: a.activityId, AutoScalingGroupName: g.name, Description: a.description, Cause: a.cause, StartTime: new Date(a.startTime), StatusCode: a.statusCode, Progress: a.statusCode === 'InProgress' ? 0 : 100, Details: '{}' };
}

function hookXml(g: Group, h: LifecycleHook): XmlValue {
  return { LifecycleHookName: h.name, AutoScalingGroupName: g.name, LifecycleTransition: h.transition, HeartbeatTimeout: h.heartbeatTimeoutS, GlobalTimeout: Math.min(100 * h.heartbeatTimeoutS, 172800), DefaultResult: h.defaultResult };
}

function nonNegative(q: QueryParams, name: string): number | undefined {
  const v = q.int(name);
  if (v !== undefined && v < 0) throw ApiError.invalidValue(name, String(v), 'expected a value ≥ 0');
  return v;
}

function requiredInt(q: QueryParams, name: string): number {
  const v = q.int(name);
  if (v === undefined) throw ApiError.missing(name);
  return v;
}

function requiredBool(q: QueryParams, name: string): boolean {
  const v = q.bool(name);
  if (v === undefined) throw ApiError.missing(name);
  return v;
}

function hookSpec(q: QueryParams): LifecycleHook {
  const transition = q.required('LifecycleTransition');
  if (!TRANSITIONS.has(transition)) throw new ApiError('ValidationError', `Invalid Lifecycle Transition: ${transition}`);
  const result = q.str('DefaultResult') ?? 'ABANDON';
  if (result !== 'CONTINUE' && result !== 'ABANDON') throw new ApiError('ValidationError', `Invalid DefaultResult: ${result}`);
  return { name: q.required('LifecycleHookName'), transition: transition as Transition, heartbeatTimeoutS: q.int('HeartbeatTimeout') ?? 3600, defaultResult: result };
}

function hookResult(q: QueryParams): HookResult {
  const r = q.required('LifecycleActionResult');
  if (r !== 'CONTINUE' && r !== 'ABANDON') throw new ApiError('ValidationError', `LifecycleActionResult must be CONTINUE or ABANDON (got ${r})`);
  return r;
}

function actionRef(q: QueryParams): { instanceId?: string; token?: string } {
  const ref = { instanceId: q.str('InstanceId'), token: q.str('LifecycleActionToken') };
  if (!ref.instanceId && !ref.token) throw new ApiError('ValidationError', 'Either InstanceId or LifecycleActionToken must be given');
  return ref;
}

function createGroup(asg: AutoScaling, cloud: Cloud): Action {
  return (q) => {
    const name = q.required('AutoScalingGroupName');
    if (!/^[\x20-\x7e]{1,255}$/.test(name) || name.includes(':')) throw ApiError.invalidValue('AutoScalingGroupName', name, 'expected 1-255 printable characters without a colon');
    const lt = q.struct('LaunchTemplate');
    const mixed = mixedPolicy(q, cloud);
    if (!lt && !mixed) throw new ApiError('ValidationError', 'Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.');
    const min = requiredInt(q, 'MinSize');
    const max = requiredInt(q, 'MaxSize');
    const desired = q.int('DesiredCapacity') ?? min;
    validateSizes(min, max, desired);
    const subnetIds = (q.str('VPCZoneIdentifier') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const zones = q.list('AvailabilityZones.member');
    const subnets = subnetIds.length
      ? subnetIds.map((id) => {
          const s = cloud.subnet(id);
          return { subnetId: s.subnetId, zone: s.zone.name };
        })
      : cloud.network.subnets.filter((s) => zones.includes(s.zone.name)).map((s) => ({ subnetId: s.subnetId, zone: s.zone.name }));
    if (!subnets.length) throw new ApiError('ValidationError', 'At least one Availability Zone or VPC Subnet is required.');
    const g: Group = {
      name,
      createdAt: Date.now(),
      launchTemplate: mixed?.launchTemplate ?? templateRef(lt!, cloud),
      ...(mixed ? { mixed: mixed.mixed } : {}),
      min,
      max,
      desired,
      subnets,
      defaultCooldownS: nonNegative(q, 'DefaultCooldown') ?? 300,
      healthCheckGracePeriodS: nonNegative(q, 'HealthCheckGracePeriod') ?? 0,
      newInstancesProtectedFromScaleIn: q.bool('NewInstancesProtectedFromScaleIn') ?? false,
      tags: q.structs('Tags.member').map((x) => ({ key: x.required('Key'), value: x.str('Value') ?? '', propagateAtLaunch: x.bool('PropagateAtLaunch') ?? false })),
      instances: [],
      hooks: [],
      activities: [],
    };
    for (const h of q.structs('LifecycleHookSpecificationList.member')) Object.assign(g, putHook(g, hookSpec(h)));
    asg.create(g);
    return {};
  };
}

function updateGroup(asg: AutoScaling, cloud: Cloud): Action {
  return (q) => {
    const name = q.required('AutoScalingGroupName');
    asg.change(name, (g) => {
      const next = setSizes(g, { min: q.int('MinSize'), max: q.int('MaxSize'), desired: q.int('DesiredCapacity') });
      const p = q.bool('NewInstancesProtectedFromScaleIn');
      const mixed = mixedPolicy(q, cloud, g);
      const lt = q.struct('LaunchTemplate');
      return { group: { ...next, ...(p === undefined ? {} : { newInstancesProtectedFromScaleIn: p }), ...(mixed ?? {}), ...(lt && !mixed ? { launchTemplate: templateRef(lt, cloud), mixed: undefined } : {}) } };
    });
    return {};
  };
}

function describeGroups(asg: AutoScaling, cloud: Cloud): Action {
  return (q) => {
    const names = q.list('AutoScalingGroupNames.member');
    const max = q.int('MaxRecords');
    if (max !== undefined && (max < 1 || max > 100)) throw new ApiError('ValidationError', `Value '${max}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100`);
    const all = asg.groups().filter((g) => !names.length || names.includes(g.name));
    const { items, nextToken } = page(all, (g) => g.name, max ?? 50, q.str('NextToken'));
    const withInstances = q.bool('IncludeInstances') ?? true;
    return { AutoScalingGroups: items.map((g) => groupXml(cloud.network.region, g, withInstances)), NextToken: nextToken };
  };
}

/** Newest first, as AWS lists them; ActivityIds picks some out. */
function describeActivities(asg: AutoScaling): Action {
  return (q) => {
    const max = q.int('MaxRecords');
    if (max !== undefined && (max < 1 || max > 100)) throw new ApiError('ValidationError', `Value '${max}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100`);
    const name = q.str('AutoScalingGroupName');
    const ids = q.list('ActivityIds.member');
    const groups = name ? [asg.get(name)] : asg.groups();
    const all = groups.flatMap((g) => [...g.activities].reverse().filter((a) => !ids.length || ids.includes(a.activityId)).map((a) => ({ g, a })));
    const { items, nextToken } = page(all, ({ a }) => byTimeNewestFirst(a.startTime, a.activityId), max ?? 100, q.str('NextToken'));
    return { Activities: items.map(({ g, a }) => activityXml(g, a)), NextToken: nextToken };
  };
}

function describeInstances(asg: AutoScaling): Action {
  return (q) => {
    const ids = q.list('InstanceIds.member');
    const max = q.int('MaxRecords');
    if (max !== undefined && (max < 1 || max > 50)) throw new ApiError('ValidationError', `Value '${max}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 50`);
    const all = asg.groups().flatMap((g) => g.instances.filter((i) => !ids.length || ids.includes(i.instanceId)).map((i) => ({ g, i })));
    const { items, nextToken } = page(all, ({ g, i }) => `${g.name}\n${byTime(i.launchedAt, i.instanceId)}`, max ?? 50, q.str('NextToken'));
    return { AutoScalingInstances: items.map(({ g, i }) => ({ ...(instanceXml(g, i) as Record<string, XmlValue>), AutoScalingGroupName: g.name })), NextToken: nextToken };
  };
}

function groupOf(asg: AutoScaling, instanceId: string): Group {
  const g = asg.groups().find((x) => x.instances.some((i) => i.instanceId === instanceId));
  if (!g) throw new ApiError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
  return g;
}

/** The Auto Scaling Query API (Version 2011-01-01) over the region's groups. */
export function autoScalingService(asg: AutoScaling, cloud: Cloud): QueryService {
  const actions = new Map<string, Action>([
    ['CreateAutoScalingGroup', createGroup(asg, cloud)],
    ['UpdateAutoScalingGroup', updateGroup(asg, cloud)],
    ['DeleteAutoScalingGroup', (q) => (asg.delete(q.required('AutoScalingGroupName'), q.bool('ForceDelete') ?? false), {})],
    ['DescribeAutoScalingGroups', describeGroups(asg, cloud)],
    ['DescribeAutoScalingInstances', describeInstances(asg)],
    ['DescribeScalingActivities', describeActivities(asg)],
    ['SetDesiredCapacity', (q) => (asg.change(q.required('AutoScalingGroupName'), (g) => ({ group: setSizes(g, { desired: requiredInt(q, 'DesiredCapacity') }) })), {})],
    [
      'TerminateInstanceInAutoScalingGroup',
      (q) => {
        const id = q.required('InstanceId');
        const decrement = q.bool('ShouldDecrementDesiredCapacity');
        if (decrement === undefined) throw ApiError.missing('ShouldDecrementDesiredCapacity');
        const g = groupOf(asg, id);
        const res = asg.change(g.name, (x) => terminateInstance(x, id, decrement, Date.now(), groupIds));
        return { Activity: activityXml(res.group, res.activity) };
      },
    ],
    ['SetInstanceProtection', (q) => (asg.change(q.required('AutoScalingGroupName'), (g) => ({ group: setProtection(g, q.list('InstanceIds.member'), requiredBool(q, 'ProtectedFromScaleIn')) })), {})],
    [
      'SetInstanceHealth',
      (q) => {
        const id = q.required('InstanceId');
        const status = q.required('HealthStatus');
        if (status !== 'Healthy' && status !== 'Unhealthy') throw new ApiError('ValidationError', `HealthStatus must be Healthy or Unhealthy (got ${status})`);
        asg.change(groupOf(asg, id).name, (g) => ({ group: setHealth(g, id, status === 'Healthy') }));
        return {};
      },
    ],
    ['PutLifecycleHook', (q) => (asg.change(q.required('AutoScalingGroupName'), (g) => ({ group: putHook(g, hookSpec(q)) })), {})],
    [
      'DescribeLifecycleHooks',
      (q) => {
        const g = asg.get(q.required('AutoScalingGroupName'));
        const names = q.list('LifecycleHookNames.member');
        return { LifecycleHooks: g.hooks.filter((h) => !names.length || names.includes(h.name)).map((h) => hookXml(g, h)) };
      },
    ],
    [
      'CompleteLifecycleAction',
      (q) => {
        const ref = actionRef(q);
        const result = hookResult(q);
        asg.change(q.required('AutoScalingGroupName'), (g) => completeAction(g, q.required('LifecycleHookName'), ref, result, Date.now(), groupIds));
        return {};
      },
    ],
    [
      'RecordLifecycleActionHeartbeat',
      (q) => {
        const ref = actionRef(q);
        asg.change(q.required('AutoScalingGroupName'), (g) => ({ group: heartbeat(g, q.required('LifecycleHookName'), ref, Date.now()) }));
        return {};
      },
    ],
  ]);
  return {
    name: 'autoscaling',
    version: AUTOSCALING_VERSION,
    actions,
    render(action, requestId, result) {
      return `${XML_DECLARATION}<${action}Response xmlns="${XMLNS}">${element(`${action}Result`, result, 'member')}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
    },
    renderError(err, requestId) {
      const type = err.status >= 500 ? 'Receiver' : 'Sender';
      return `${XML_DECLARATION}<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    },
  };
}
