import {
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeLifecycleHooksCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  type AutoScalingClient,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { paginateDescribeInstances, type EC2Client } from '@aws-sdk/client-ec2';
import type { Fleet } from '../../fleet/index.js';
import { ConfigError, ShoalError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { asgInstances, GROUP_TAG, newDesired, type GroupMember } from './asg-view.js';
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

  constructor(private readonly o: AsgProviderOptions) {}

  /** The group must exist; its terminating lifecycle hook, if any, is what drains complete. */
  async init(): Promise<void> {
    const g = await this.describe().catch((err: Error) => {
      throw new ConfigError(`invalid --group (SHOAL_AUTOSCALER_GROUP): ${err.name}: ${err.message}`);
    });
    if (!g) throw new ConfigError(`invalid --group (SHOAL_AUTOSCALER_GROUP): no Auto Scaling group named ${this.o.group}`);
    const hooks = await this.o.autoscaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: this.o.group }));
    this.terminatingHook = hooks.LifecycleHooks?.find((h) => h.LifecycleTransition === 'autoscaling:EC2_INSTANCE_TERMINATING')?.LifecycleHookName;
    this.o.log.info({ group: this.o.group, min: g.MinSize, max: g.MaxSize, desired: g.DesiredCapacity, terminatingHook: this.terminatingHook ?? null }, 'auto scaling group found');
  }

  private async describe(): Promise<AutoScalingGroup | undefined> {
    const res = await this.o.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [this.o.group] }));
    return res.AutoScalingGroups?.[0];
  }

  private async members(): Promise<GroupMember[]> {
    const g = await this.describe();
    if (!g) throw new ShoalError('SHOAL_ERR_ASG', `the Auto Scaling group ${this.o.group} is gone`);
    return (g.Instances ?? []).map((i) => ({ instanceId: i.InstanceId!, zone: i.AvailabilityZone ?? '', lifecycleState: i.LifecycleState ?? '', protectedFromScaleIn: i.ProtectedFromScaleIn ?? false }));
  }

  /** Raises the group's desired capacity by `count` over its live instances, then adopts the instances it starts. */
  async launch(count: number): Promise<string[]> {
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
    let fresh: GroupMember[] = [];
    while (Date.now() < deadline) {
      fresh = (await this.members()).filter((m) => !before.has(m.instanceId) && !m.lifecycleState.startsWith('Terminating'));
      if (fresh.length >= wanted) break;
      await new Promise((ok) => setTimeout(ok, this.o.pollMs ?? 250));
    }
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
  }

  /**
   * The group's members with what EC2 says of them. Keeps the group's invariants on the way:
   * every live member protected from scale-in, and a heartbeat for each one the terminating
   * hook holds while shoal drains it.
   */
  async list(): Promise<Instance[]> {
    const members = await this.members();
    const ec2 = [];
    const pages = paginateDescribeInstances({ client: this.o.ec2, pageSize: 1000 }, { Filters: [{ Name: `tag:${GROUP_TAG}`, Values: [this.o.group] }] });
    for await (const page of pages) for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) ec2.push(i);
    const { instances, unprotected, held } = asgInstances(members, ec2, Date.now());
    if (unprotected.length) await this.protect(unprotected);
    await this.heartbeat(held);
    return instances;
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
    const members = new Map((await this.members()).map((m) => [m.instanceId, m]));
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
    const m = (await this.members()).find((x) => x.instanceId === id);
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
