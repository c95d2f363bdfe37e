import {
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  DescribeScalingActivitiesCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingClient,
  type AutoScalingGroup,
  type Instance as AsgInstance,
} from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Fleet } from '../../fleet/index.js';
import { ConfigError, ShoalError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { activityInstances, asgInstances, GROUP_TAG, newDesired, toWatch, type GroupMember } from './asg-view.js';
import { listInstances } from './ec2-listing.js';
import { InstanceBook, type Listed } from './instance-book.js';
import type { Instance, Provider, Target } from './provider.js';

export interface AsgProviderOptions {
  fleet: Fleet;
  autoscaling: AutoScalingClient;
  ec2: EC2Client;
  /** The Auto Scaling group shoal decides for. */
  group: string;
  /** How long a launch waits for the group to start the instances SetDesiredCapacity asked for. */
  launchWaitMs: number;
  /** How often an instance held by the terminating hook gets a heartbeat while it drains. */
  heartbeatEveryMs: number;
  pollMs?: number;
  /**
   * How often the whole group is described and its instances listed (in the background); each
   * tick in between follows the group's activities, EC2's instances not running and the members
   * in motion. 0: the whole group every tick.
   */
  resyncMs?: number;
  /**
   * `--spot`: the group launches Spot instances, up to this share above its On-Demand base
   * (its MixedInstancesPolicy, set at start; the group's own launch template and types kept).
   */
  spot?: { maxShare: number; onDemandBase: number };
  /** `--server-tags`: on each adopted instance's registry entry (the Chaos Monkey's opt-in). */
  serverTags?: string[];
  log: Logger;
}

/**
 * App servers as the instances of an existing Auto Scaling group: shoal decides, the group
 * launches. Scale-out raises the desired capacity; scale-in drains the server shoal chose
 * and then terminates exactly that instance (ShouldDecrementDesiredCapacity), so AWS never
 * picks a busy one — every other instance is kept protected from scale-in. An instance the
 * group itself takes out (an operator, rebalancing, a health replacement) waits in the
 * terminating lifecycle hook while shoal drains it; the action is completed only then.
 * Instances the group launched on its own are adopted: a `launching` entry under the
 * instance id, which the app (`shoal app --provider asg`) moves to `ready`.
 */
export class AsgProvider implements Provider {
  readonly name = 'asg';
  /** The group's listing is read fresh each tick; EC2's may lag a launch like the ec2 provider's. */
  readonly listingLagMs = 30_000;
  private terminatingHook?: string;
  private readonly heartbeats = new Map<string, number>();
  /** EC2's side: the instances tagged with the group's name, kept like the ec2 provider's fleet. */
  private readonly book: InstanceBook;
  /** The group's side: every member as last described (all of them at each full listing). */
  private members = new Map<string, GroupMember>();
  /** The newest scaling activity followed: each tick reads only the newer ones. */
  private lastActivity?: string;

  constructor(private readonly o: AsgProviderOptions) {
    const tagged = [{ Name: `tag:${GROUP_TAG}`, Values: [o.group] }];
    this.book = new InstanceBook({ list: (what, notedAt, onPage) => this.listing(what, tagged, notedAt, onPage), resyncMs: o.resyncMs ?? 0, log: o.log, what: 'asg' });
  }

  /** False from taking the lead until a full listing (group and instances) started since is in. */
  get complete(): boolean {
    return this.book.complete;
  }

  /** The newest full listing's size and duration (bench:fleet prints it). */
  get lastFullListing(): InstanceBook['lastFull'] {
    return this.book.lastFull;
  }

  lead(tickEveryMs?: number): Promise<void> {
    return this.book.lead(tickEveryMs);
  }

  /** A full listing describes the whole group first (the activity cursor read before it, so nothing between is missed), then its instances in EC2. */
  private async listing(what: 'all' | 'not-running', tagged: { Name: string; Values: string[] }[], notedAt: number, onPage?: (page: readonly Listed[]) => Promise<void>): Promise<Listed[]> {
    if (what === 'all') {
      const cursor = await this.newestActivity();
      const g = await this.describe();
      if (!g) throw new ShoalError('SHOAL_ERR_ASG', `the Auto Scaling group ${this.o.group} is gone`);
      this.members = new Map((g.Instances ?? []).map((i) => [i.InstanceId!, member(i)]));
      this.lastActivity = cursor;
    }
    return listInstances(this.o.ec2, tagged, what, notedAt, onPage);
  }

  /** The group must exist; its terminating lifecycle hook, if any, is what drains complete. */
  async init(): Promise<void> {
    const g = await this.describe().catch((err: Error) => {
      throw new ConfigError(`invalid --group (SHOAL_AUTOSCALER_GROUP): ${err.name}: ${err.message}`);
    });
    if (!g) throw new ConfigError(`invalid --group (SHOAL_AUTOSCALER_GROUP): no Auto Scaling group named ${this.o.group}`);
    const hooks = await this.o.autoscaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: this.o.group }));
    this.terminatingHook = hooks.LifecycleHooks?.find((h) => h.LifecycleTransition === 'autoscaling:EC2_INSTANCE_TERMINATING')?.LifecycleHookName;
    if (this.o.spot) await this.mixSpot(g, this.o.spot);
    this.o.log.info({ group: this.o.group, min: g.MinSize, max: g.MaxSize, desired: g.DesiredCapacity, terminatingHook: this.terminatingHook ?? null }, 'auto scaling group found');
  }

  /**
   * The group's MixedInstancesPolicy from `--spot`: On-Demand for the base, then the
   * On-Demand percentage that keeps Spot within the share cap (rounded up), Spot allocated
   * price-capacity-optimized (AWS's recommendation: fewer interruptions). The group launches
   * the split itself; its template and instance types stay as they were.
   */
  private async mixSpot(g: AutoScalingGroup, spot: { maxShare: number; onDemandBase: number }): Promise<void> {
    const template = g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification ?? g.LaunchTemplate;
    if (!template) throw new ConfigError(`invalid --spot: the Auto Scaling group ${this.o.group} has no launch template (a launch configuration cannot launch Spot by policy)`);
    const distribution = { OnDemandBaseCapacity: spot.onDemandBase, OnDemandPercentageAboveBaseCapacity: onDemandPercent(spot.maxShare), SpotAllocationStrategy: 'price-capacity-optimized' };
    const overrides = g.MixedInstancesPolicy?.LaunchTemplate?.Overrides;
    await this.o.autoscaling.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: this.o.group,
        MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: template.LaunchTemplateId, Version: template.Version }, ...(overrides?.length ? { Overrides: overrides } : {}) }, InstancesDistribution: distribution },
      }),
    );
    this.o.log.info({ group: this.o.group, ...distribution }, 'Spot by the group: MixedInstancesPolicy set');
  }

  private async describe(includeInstances = true): Promise<AutoScalingGroup | undefined> {
    const res = await this.o.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [this.o.group], IncludeInstances: includeInstances }));
    return res.AutoScalingGroups?.[0];
  }

  /** These instances as the group has them now (DescribeAutoScalingInstances, 50 per call); one not returned is no member. */
  private async describeMembers(ids: readonly string[]): Promise<Map<string, GroupMember>> {
    const out = new Map<string, GroupMember>();
    for (let k = 0; k < ids.length; k += 50) {
      const res = await this.o.autoscaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: ids.slice(k, k + 50) }));
      for (const i of res.AutoScalingInstances ?? []) if (i.AutoScalingGroupName === this.o.group) out.set(i.InstanceId!, member(i));
    }
    return out;
  }

  private async newestActivity(): Promise<string | undefined> {
    const res = await this.o.autoscaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: this.o.group, MaxRecords: 1 }));
    return res.Activities?.[0]?.ActivityId;
  }

  /** The instances the group's activities named since `after` (newest first, read until it); the newest activity id. */
  private async activitiesSince(after: string | undefined): Promise<{ ids: string[]; newest?: string }> {
    const descriptions: string[] = [];
    let newest: string | undefined;
    let token: string | undefined;
    // A steady group has had no new activity: a first small page usually reaches the cursor.
    let max = 1;
    do {
      const res = await this.o.autoscaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: this.o.group, MaxRecords: max, NextToken: token }));
      max = 100;
      for (const a of res.Activities ?? []) {
        newest ??= a.ActivityId;
        if (a.ActivityId === after) return { ids: activityInstances(descriptions), newest };
        descriptions.push(a.Description ?? '');
      }
      token = res.NextToken;
    } while (token && after !== undefined);
    // The cursor aged out (or none yet): what was read is followed; the next full listing catches the rest.
    return { ids: activityInstances(descriptions), newest: newest ?? after };
  }

  /**
   * Raises the group's desired capacity by `count` over its live members (the group described
   * whole: a rare call, and one that must count right), then adopts the instances it starts,
   * found through its activities.
   */
  async launch(count: number): Promise<string[]> {
    const cursor = await this.newestActivity();
    const g = await this.describe();
    if (!g) throw new ShoalError('SHOAL_ERR_ASG', `the Auto Scaling group ${this.o.group} is gone`);
    const before = new Set((g.Instances ?? []).map((i) => i.InstanceId!));
    const live = (g.Instances ?? []).filter((i) => !i.LifecycleState?.startsWith('Terminating')).length;
    const desired = newDesired(live, count, g.MaxSize ?? live + count);
    if (desired !== g.DesiredCapacity) {
      await this.o.autoscaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: this.o.group, DesiredCapacity: desired, HonorCooldown: false }));
      this.o.log.info({ group: this.o.group, from: g.DesiredCapacity, to: desired }, 'desired capacity set');
    }
    const wanted = Math.max(0, desired - live);
    const deadline = Date.now() + this.o.launchWaitMs;
    const started = new Set<string>();
    let after = cursor;
    while (Date.now() < deadline) {
      const seen = await this.activitiesSince(after);
      after = seen.newest;
      for (const id of seen.ids) if (!before.has(id)) started.add(id);
      if (started.size >= wanted) break;
      await new Promise((ok) => setTimeout(ok, this.o.pollMs ?? 250));
    }
    const fresh = [...(await this.describeMembers([...started])).values()].filter((m) => !m.lifecycleState.startsWith('Terminating'));
    for (const m of fresh) this.members.set(m.instanceId, m);
    await this.adopt(fresh.map((m) => ({ id: m.instanceId, instanceId: m.instanceId, state: 'pending', zone: m.zone, launchedAt: Date.now() })));
    return fresh.map((m) => m.instanceId);
  }

  /** Registers instances the group runs that the registry lacks, and protects them from the group's own scale-in. */
  async adopt(instances: readonly Instance[]): Promise<void> {
    if (!instances.length) return;
    const tags = this.o.serverTags?.length ? { tags: this.o.serverTags } : {};
    for (const i of instances) await this.o.fleet.registry.launching(i.id, { provider: this.name, instanceId: i.instanceId, zone: i.zone, ...tags }, i.launchedAt);
    await this.protect(instances.map((i) => i.instanceId));
    this.o.log.info({ instances: instances.map((i) => i.instanceId) }, 'adopted instances the group launched');
  }

  private async protect(ids: readonly string[]): Promise<void> {
    for (let k = 0; k < ids.length; k += 50) {
      await this.o.autoscaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: this.o.group, InstanceIds: ids.slice(k, k + 50), ProtectedFromScaleIn: true }));
    }
    for (const id of ids) {
      const m = this.members.get(id);
      if (m) this.members.set(id, { ...m, protectedFromScaleIn: true });
    }
  }

  /**
   * The group's members with what EC2 says of them. Keeps the group's invariants on the way:
   * every live member protected from scale-in, and a heartbeat for each one the terminating
   * hook holds while shoal drains it. Between full listings a tick asks the group only about
   * the instances in motion (toWatch): a steady group of 1,000 costs a few small calls.
   */
  async list(): Promise<Instance[]> {
    const ec2 = await this.book.list();
    if (this.book.complete && (this.o.resyncMs ?? 0) > 0) await this.follow(ec2);
    // Until the group is described whole, an instance it seems to lack may be a member: not listed as gone.
    const { instances, unprotected, held } = asgInstances(this.members.values(), ec2, Date.now(), this.book.complete);
    if (unprotected.length) await this.protect(unprotected);
    await this.heartbeat(held);
    return instances;
  }

  /** Brings the members in motion up to date: named by new activities, not in service, or just launched. */
  private async follow(ec2: readonly Instance[]): Promise<void> {
    const { ids, newest } = await this.activitiesSince(this.lastActivity);
    this.lastActivity = newest;
    const watch = toWatch(this.members, ec2, ids);
    if (!watch.length) return;
    const now = await this.describeMembers(watch);
    for (const id of watch) {
      const m = now.get(id);
      if (m) this.members.set(id, m);
      else this.members.delete(id);
    }
  }

  private async heartbeat(held: readonly string[]): Promise<void> {
    const now = Date.now();
    for (const id of [...this.heartbeats.keys()]) if (!held.includes(id)) this.heartbeats.delete(id);
    if (!this.terminatingHook) return;
    for (const id of held) {
      const last = this.heartbeats.get(id);
      if (last === undefined) this.heartbeats.set(id, now);
      else if (now - last >= this.o.heartbeatEveryMs) {
        await this.o.autoscaling.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: this.o.group, LifecycleHookName: this.terminatingHook, InstanceId: id })).catch((err: Error) => this.o.log.warn({ instanceId: id, err: err.message }, 'lifecycle heartbeat failed'));
        this.heartbeats.set(id, now);
      }
    }
  }

  /**
   * Called once a server is drained: that instance leaves the group, desired down by one
   * (not below the group's min: then the group replaces it). If the terminating hook holds
   * it — the group's own termination, or the one just asked for — the action is completed
   * now, since the drain is done.
   */
  async terminate(targets: readonly Target[]): Promise<void> {
    const members = await this.describeMembers(targets.map((t) => t.instanceId));
    for (const t of targets) {
      const m = members.get(t.instanceId);
      if (!m) {
        this.o.log.warn({ instanceId: t.instanceId, group: this.o.group }, 'not terminating: not a member of the group (or already gone)');
        continue;
      }
      if (!m.lifecycleState.startsWith('Terminating')) await this.leave(t.instanceId);
      await this.completeLifecycle(t.instanceId);
    }
  }

  private async leave(id: string): Promise<void> {
    const send = (decrement: boolean) => this.o.autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: id, ShouldDecrementDesiredCapacity: decrement }));
    try {
      await send(true);
      this.o.log.info({ instanceId: id }, 'terminated in the group, desired capacity decremented');
    } catch (err) {
      if ((err as Error).name !== 'ValidationError') throw err;
      // At the group's min: the group launches a replacement, which shoal adopts.
      await send(false);
      this.o.log.warn({ instanceId: id, err: (err as Error).message }, 'terminated in the group without decrementing (at its min size)');
    }
  }

  private async completeLifecycle(id: string): Promise<void> {
    if (!this.terminatingHook) return;
    const m = (await this.describeMembers([id])).get(id);
    if (m?.lifecycleState !== 'Terminating:Wait') return;
    await this.o.autoscaling.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: this.o.group, LifecycleHookName: this.terminatingHook, InstanceId: id, LifecycleActionResult: 'CONTINUE' }));
    this.heartbeats.delete(id);
    this.o.log.info({ instanceId: id, hook: this.terminatingHook }, 'lifecycle action completed after the drain');
  }

  async close(): Promise<void> {
    this.o.autoscaling.destroy();
    this.o.ec2.destroy();
  }
}

function member(i: Pick<AsgInstance, 'InstanceId' | 'AvailabilityZone' | 'ProtectedFromScaleIn'> & { LifecycleState?: string }): GroupMember {
  return { instanceId: i.InstanceId!, zone: i.AvailabilityZone ?? '', lifecycleState: i.LifecycleState ?? '', protectedFromScaleIn: i.ProtectedFromScaleIn ?? false };
}

/** The On-Demand percentage above the base that keeps the Spot share within `maxShare`. */
export function onDemandPercent(maxShare: number): number {
  return Math.min(100, Math.max(0, Math.ceil(Math.round((1 - maxShare) * 1e6) / 1e4)));
}
