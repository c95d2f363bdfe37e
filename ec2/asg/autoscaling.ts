import { randomUUID } from 'node:crypto';
import type { Logger } from '../../lib/log.js';
import type { Cloud } from '../cloud.js';
import { ApiError } from '../errors.js';
import { mergeSpecs } from '../launch-spec.js';
import { findTemplate, resolveVersion } from '../launch-template.js';
import { added, GROUP_TAG, step, type Group, type Ids, type Work } from './group.js';

/** Lifecycle action tokens and activity ids, as AWS makes them (UUIDs). */
export const groupIds: Ids = { token: () => randomUUID(), activity: () => randomUUID() };

/**
 * The Auto Scaling service of the simulated region: keeps the groups (in the endpoint's
 * store), runs each group's controller every `tickMs` and right after every call that
 * changes a group, and carries out what it decides through the Cloud (launches from the
 * group's launch template into its subnets, terminations).
 */
export class AutoScaling {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly cloud: Cloud,
    private readonly o: { tickMs: number; log: Logger },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tickAll(), this.o.tickMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  groups(): Group[] {
    return [...this.cloud.store.groups.values()];
  }

  find(name: string): Group | undefined {
    return this.cloud.store.groups.get(name);
  }

  get(name: string): Group {
    const g = this.find(name);
    if (!g) throw new ApiError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);
    return g;
  }

  create(g: Group): void {
    if (this.cloud.store.groups.has(g.name)) throw new ApiError('AlreadyExists', `AutoScalingGroup by this name already exists - A group with the name ${g.name} already exists`);
    this.save(g);
    this.tick(g.name);
  }

  delete(name: string, force: boolean): void {
    const g = this.get(name);
    if (g.instances.length && !force) throw new ApiError('ResourceInUse', 'You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.');
    const alive = g.instances.map((i) => i.instanceId).filter((id) => this.cloud.get(id)?.state !== 'terminated');
    if (alive.length) this.cloud.terminate(alive);
    this.cloud.store.groups.delete(name);
    this.cloud.store.changed();
  }

  /** Applies a pure change to one group, carries out its work, then lets the controller run. */
  change<T extends { group: Group; work?: Work }>(name: string, fn: (g: Group) => T): T {
    const res = fn(this.get(name));
    this.save(res.group);
    if (res.work) this.carryOut(name, res.work);
    this.tick(name);
    return res;
  }

  private save(g: Group): void {
    this.cloud.store.groups.set(g.name, g);
    this.cloud.store.changed();
  }

  private tickAll(): void {
    for (const name of this.cloud.store.groups.keys()) {
      try {
        this.tick(name);
      } catch (err) {
        this.o.log.error({ group: name, err }, 'auto scaling group step failed');
      }
    }
  }

  private tick(name: string): void {
    const g = this.find(name);
    if (!g) return;
    const res = step(g, (id) => this.cloud.get(id)?.state, Date.now(), groupIds);
    this.save(res.group);
    this.carryOut(name, res.work);
  }

  private carryOut(name: string, work: Work): void {
    if (work.terminate.length) {
      const known = work.terminate.filter((id) => this.cloud.get(id));
      if (known.length) this.cloud.terminate(known);
    }
    for (const where of work.launch) this.launchInto(name, where);
  }

  /**
   * One instance from the group's template into `where` (Spot or On-Demand, as its
   * MixedInstancesPolicy said), or the next of the policy's instance types, or another of its
   * subnets, when that zone has no capacity.
   */
  private launchInto(name: string, where: Work['launch'][number]): void {
    const g = this.get(name);
    const t = findTemplate(this.cloud.store.launchTemplates.values(), { id: g.launchTemplate.id });
    const v = resolveVersion(t, g.launchTemplate.version);
    const tags: Record<string, string> = { [GROUP_TAG]: g.name };
    for (const tag of g.tags) if (tag.propagateAtLaunch) tags[tag.key] = tag.value;
    const order = [where, ...g.subnets.filter((s) => s.subnetId !== where.subnetId)];
    const types: (string | undefined)[] = g.mixed?.instanceTypes.length ? g.mixed.instanceTypes : [undefined];
    let last = '';
    for (const s of order) {
      for (const instanceType of types) {
        const spec = mergeSpecs(v.spec, { securityGroupIds: [], subnetId: s.subnetId, tags: { instance: tags, volume: tags }, ...(instanceType ? { instanceType } : {}), ...(where.market === 'spot' ? { market: 'spot' as const } : {}) });
        try {
          const [i] = this.cloud.launch({ spec, minCount: 1, maxCount: 1, fingerprint: '', launchTemplate: { id: t.id, version: v.number } });
          const market = i!.lifecycle === 'spot' ? { market: 'spot' as const } : {};
          this.save(added(this.get(name), { instanceId: i!.instanceId, zone: i!.zone, subnetId: i!.subnetId, instanceType: i!.instanceType, launchedAt: i!.launchTime, ...market }, Date.now(), groupIds));
          this.o.log.info({ group: name, instanceId: i!.instanceId, zone: i!.zone, market: where.market }, 'group launched an instance');
          return;
        } catch (err) {
          last = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
        }
      }
    }
    this.o.log.warn({ group: name, error: last }, 'group launch failed: retried at the next step');
  }
}
