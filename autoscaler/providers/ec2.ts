import { randomUUID } from 'node:crypto';
import {
  DescribeSubnetsCommand,
  paginateDescribeInstances,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
  type Filter,
  type Instance as Ec2Instance,
  type RunInstancesCommandInput,
  type Tag,
} from '@aws-sdk/client-ec2';
import type { Fleet } from '../../fleet/index.js';
import { ConfigError, ShoalError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { placeLaunches } from '../engine/zones.js';
import { EC2_STATES, listInstances, toInstance } from './ec2-listing.js';
import { InstanceBook } from './instance-book.js';
import { backoffMs, chooseMarket, launchErrorKind, launchPlan, type LaunchAttempt, type Subnet } from './ec2-plan.js';
import type { Instance, Provider, Target } from './provider.js';

export const FLEET_TAG = 'shoal:fleet';
export const ROLE_TAG = 'shoal:role';
/** The server tags (`--server-tags`), comma-separated, for operators reading the console. */
const TAGS_TAG = 'shoal:tags';

export interface Ec2ProviderOptions {
  fleet: Fleet;
  client: EC2Client;
  /** The `shoal:fleet` tag value: what this autoscaler launches, lists and may terminate. */
  fleetName: string;
  /** `lt-…` id or a name, and a version (`$Default`, `$Latest` or a number). */
  launchTemplate?: { id?: string; name?: string; version: string };
  imageId?: string;
  /** Tried in order when a zone has no capacity for the first; empty = the template's type. */
  instanceTypes: string[];
  /** One per zone; launches spread over their zones. */
  subnets: string[];
  securityGroups: string[];
  /** Instance profile name or ARN. */
  instanceProfile?: string;
  keyName?: string;
  /** The boot script (plain text); absent = the launch template's. */
  userData?: string;
  /** Launch Spot instances, up to this share of the fleet; On-Demand above it, and when Spot has no capacity. */
  spot?: { maxShare: number };
  /** Tries per subnet and type, and the back-off between them. */
  retry: { attempts: number; baseMs: number; maxMs: number };
  /**
   * How often the whole fleet is listed (in the background, small pages); each tick in
   * between lists only the instances not running. 0: the whole fleet every tick.
   */
  resyncMs?: number;
  /** `--server-tags`: on each server's registry entry (the Chaos Monkey's opt-in) and as the instance's `shoal:tags` tag. */
  serverTags?: string[];
  log: Logger;
}

/**
 * App servers as EC2 instances. Every instance carries `shoal:fleet=<name>` and
 * `shoal:role=app` (volumes too), which is how it is listed, adopted by a new leader and
 * allowed to be terminated. The server id is the instance id, as `shoal app --provider ec2`
 * registers itself.
 */
export class Ec2Provider implements Provider {
  readonly name = 'ec2';
  /** DescribeInstances is eventually consistent: a just-launched instance may be missing for a while. */
  readonly listingLagMs = 30_000;
  private subnets: Subnet[] = [];
  /** The fleet between full listings (kept current by each tick's listing of what is not running). */
  private readonly book: InstanceBook;

  constructor(private readonly o: Ec2ProviderOptions) {
    const mine: Filter[] = [{ Name: `tag:${FLEET_TAG}`, Values: [o.fleetName] }, { Name: `tag:${ROLE_TAG}`, Values: ['app'] }];
    this.book = new InstanceBook({ list: (what, notedAt, onPage) => listInstances(o.client, mine, what, notedAt, onPage), resyncMs: o.resyncMs ?? 0, log: o.log, what: 'ec2' });
  }

  /** The newest full listing's size and duration (bench:fleet prints it). */
  get lastFullListing(): InstanceBook['lastFull'] {
    return this.book.lastFull;
  }

  /** False from taking the lead until a full listing started since is in. */
  get complete(): boolean {
    return this.book.complete;
  }

  /** Taking the lead: a fresh full listing in the background (the tick does not wait for it). */
  lead(tickEveryMs?: number): Promise<void> {
    return this.book.lead(tickEveryMs);
  }

  /** Learns each subnet's zone; a subnet that does not exist is a configuration error. */
  async init(): Promise<void> {
    const res = await this.o.client.send(new DescribeSubnetsCommand({ SubnetIds: this.o.subnets })).catch((err: Error) => {
      throw new ConfigError(`invalid --subnets (SHOAL_AUTOSCALER_SUBNETS): ${err.name}: ${err.message}`);
    });
    const zoneOf = new Map((res.Subnets ?? []).map((s) => [s.SubnetId!, s.AvailabilityZone ?? '']));
    this.subnets = this.o.subnets.map((id) => ({ id, zone: zoneOf.get(id) ?? '' }));
    const missing = this.subnets.filter((s) => !s.zone).map((s) => s.id);
    if (missing.length) throw new ConfigError(`invalid --subnets (SHOAL_AUTOSCALER_SUBNETS): not found: ${missing.join(', ')}`);
  }

  get zones(): string[] {
    return [...new Set(this.subnets.map((s) => s.zone))];
  }

  async launch(count: number, running: readonly Instance[]): Promise<string[]> {
    const ids: string[] = [];
    let spot = running.filter((i) => i.market === 'spot').length;
    let total = running.length;
    for (const zone of placeLaunches(this.zones, running.map((i) => i.zone), count)) {
      const market = this.o.spot ? chooseMarket(spot, total, this.o.spot.maxShare) : 'on-demand';
      const launched = await this.launchOne(zone, market);
      ids.push(launched.id);
      if (launched.market === 'spot') spot++;
      total++;
    }
    return ids;
  }

  private async launchOne(zone: string, wanted: 'spot' | 'on-demand'): Promise<{ id: string; market: 'spot' | 'on-demand' }> {
    let market = wanted;
    const { retry, log } = this.o;
    const launchId = randomUUID();
    const plan = launchPlan(this.subnets, this.o.instanceTypes, zone);
    let last = '';
    for (const [k, attempt] of plan.entries()) {
      // One token per subnet and type: a retried call (ours or the SDK's) never launches twice,
      // and a new subnet or type is a new request, not a mismatching repeat.
      for (let n = 0; n < retry.attempts; n++) {
        const token = `${launchId}-${k}${market === 'spot' ? '-spot' : ''}`;
        try {
          const res = await this.o.client.send(new RunInstancesCommand(this.request(attempt, token, market)));
          const inst = res.Instances?.[0];
          if (!inst?.InstanceId) throw new ShoalError('SHOAL_ERR_LAUNCH', 'RunInstances answered without an instance');
          return { id: await this.registered(inst, attempt), market };
        } catch (err) {
          const e = err as Error;
          const kind = launchErrorKind(e.name);
          last = `${e.name}: ${e.message}`;
          if (kind === 'fatal') throw new ShoalError('SHOAL_ERR_LAUNCH', `RunInstances failed: ${last}`);
          if (kind === 'capacity' && market === 'spot') {
            // No Spot capacity: the On-Demand fallback, at once and in the same place.
            log.warn({ subnet: attempt.subnet.id, instanceType: attempt.instanceType, error: e.name }, 'no Spot capacity: launching On-Demand instead');
            market = 'on-demand';
            n--;
            continue;
          }
          const where = { subnet: attempt.subnet.id, zone: attempt.subnet.zone, instanceType: attempt.instanceType, attempt: n + 1, error: e.name };
          if (n + 1 < retry.attempts) {
            log.warn(where, `RunInstances ${kind}: retrying after a back-off`);
            await new Promise((ok) => setTimeout(ok, backoffMs(n, retry.baseMs, retry.maxMs)));
          } else {
            log.warn(where, `RunInstances ${kind}: trying the next subnet or instance type`);
          }
        }
      }
    }
    throw new ShoalError('SHOAL_ERR_LAUNCH', `no subnet and instance type could launch (${plan.length} tried; last: ${last})`);
  }

  private request(a: LaunchAttempt, token: string, market: 'spot' | 'on-demand'): RunInstancesCommandInput {
    const o = this.o;
    const tags: Tag[] = [
      { Key: FLEET_TAG, Value: o.fleetName },
      { Key: ROLE_TAG, Value: 'app' },
      { Key: 'Name', Value: `shoal-${o.fleetName}-app` },
      ...(o.serverTags?.length ? [{ Key: TAGS_TAG, Value: o.serverTags.join(',') }] : []),
    ];
    const lt = o.launchTemplate;
    return {
      MinCount: 1,
      MaxCount: 1,
      ClientToken: token,
      ...(lt ? { LaunchTemplate: { ...(lt.id ? { LaunchTemplateId: lt.id } : { LaunchTemplateName: lt.name }), Version: lt.version } } : {}),
      ...(o.imageId ? { ImageId: o.imageId } : {}),
      ...(a.instanceType ? { InstanceType: a.instanceType as RunInstancesCommandInput['InstanceType'] } : {}),
      ...(market === 'spot' ? { InstanceMarketOptions: { MarketType: 'spot' } } : {}),
      SubnetId: a.subnet.id,
      ...(o.securityGroups.length ? { SecurityGroupIds: o.securityGroups } : {}),
      ...(o.instanceProfile ? { IamInstanceProfile: o.instanceProfile.startsWith('arn:') ? { Arn: o.instanceProfile } : { Name: o.instanceProfile } } : {}),
      ...(o.keyName ? { KeyName: o.keyName } : {}),
      ...(o.userData ? { UserData: Buffer.from(o.userData).toString('base64') } : {}),
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags },
      ],
    };
  }

  /** The `launching` entry under the instance id; the app may have registered first (a fast boot): then it stays as the app wrote it. */
  private async registered(inst: Ec2Instance, a: LaunchAttempt): Promise<string> {
    const id = inst.InstanceId!;
    const zone = inst.Placement?.AvailabilityZone ?? a.subnet.zone;
    const launchedAt = inst.LaunchTime ? inst.LaunchTime.getTime() : Date.now();
    const tags = this.o.serverTags?.length ? { tags: this.o.serverTags } : {};
    await this.o.fleet.registry.launching(id, { provider: this.name, instanceId: id, zone, ...tags }, launchedAt);
    this.book.noted({ instance: toInstance(inst), ec2State: inst.State?.Name ?? 'pending', notedAt: Date.now() });
    this.o.log.info({ id, zone, subnet: a.subnet.id, instanceType: inst.InstanceType }, 'launched app server');
    return id;
  }

  /**
   * Every instance of this fleet. Listing all of them through DescribeInstances each tick
   * costs about 3 KB of XML per instance to build and parse (most of a tick at 1,000), so,
   * like a controller's informer, the whole fleet is listed on its own slower cadence in the
   * background and each tick lists (paginated) only the instances not running (instance-book.ts).
   */
  list(now = Date.now()): Promise<Instance[]> {
    return this.book.list(now);
  }

  /** Terminates only instances that carry this fleet's tag, checked with DescribeInstances first. */
  async terminate(targets: readonly Target[]): Promise<void> {
    const wanted = [...new Set(targets.map((t) => t.instanceId).filter((id) => /^i-[0-9a-f]+$/.test(id)))];
    if (wanted.length === 0) return;
    const ours = new Set<string>();
    const pages = paginateDescribeInstances(
      { client: this.o.client },
      { Filters: [{ Name: 'instance-id', Values: wanted }, { Name: `tag:${FLEET_TAG}`, Values: [this.o.fleetName] }] },
    );
    for await (const page of pages) {
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) if (EC2_STATES[i.State?.Name ?? ''] !== 'gone') ours.add(i.InstanceId!);
    }
    const refused = wanted.filter((id) => !ours.has(id));
    if (refused.length) this.o.log.warn({ refused, fleet: this.o.fleetName }, `not terminating: no ${FLEET_TAG}=${this.o.fleetName} tag (or already terminated)`);
    if (ours.size === 0) return;
    await this.o.client.send(new TerminateInstancesCommand({ InstanceIds: [...ours] }));
    this.o.log.info({ instances: [...ours] }, 'terminated');
  }

  async close(): Promise<void> {
    this.o.client.destroy();
  }
}
