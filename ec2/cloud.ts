import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Logger } from '../lib/log.js';
import { ApiError } from './errors.js';
import type { Faults } from './faults.js';
import { resourceId } from './ids.js';
import { Imds } from './imds.js';
import { expired, REASONS, transition, type Instance, type InstanceStateName, type StateReason } from './instance.js';
import { reapLeftover, startInstanceProcess, stopInstanceProcess, type ProcessOptions } from './instance-process.js';
import type { LaunchSpec } from './launch-spec.js';
import type { Network, Subnet } from './network.js';
import { Store } from './store.js';

const TOKEN_TTL_MS = 24 * 3600_000;

export interface CloudOptions {
  network: Network;
  dataDir: string;
  faults: Faults;
  log: Logger;
  /** How long terminated instances stay visible (AWS: about an hour). */
  terminatedTtlMs: number;
  /** SIGTERM → SIGKILL grace when an instance is terminated. */
  killTimeoutMs: number;
  process: Omit<ProcessOptions, 'instancesDir'>;
  /** Instances without user data run no process and no metadata service (fleet-size benchmarks). */
  bareInstances?: boolean;
}

/** One RunInstances call after parsing and template resolution. */
export interface LaunchRequest {
  spec: LaunchSpec;
  minCount: number;
  maxCount: number;
  clientToken?: string;
  /** Everything the call sent except what may differ on a retry: a reused token must match it. */
  fingerprint: string;
  launchTemplate?: { id: string; version: number };
}

export interface StateChange {
  instanceId: string;
  previous: InstanceStateName;
  current: InstanceStateName;
}

interface Running {
  child?: ChildProcess;
  imds?: Imds;
  bootTimer?: NodeJS.Timeout;
  exited?: Promise<void>;
}

/**
 * The simulated region: instances as local processes, each with its own metadata service.
 * It applies the pure state machine (instance.ts), keeps the store, and owns every process
 * it starts: they stop when it closes, and cannot outlive it.
 */
export class Cloud {
  readonly store: Store;
  private readonly live = new Map<string, Running>();
  private readonly instancesDir: string;
  private pruneTimer?: NodeJS.Timeout;
  private spotTimer?: NodeJS.Timeout;
  private closing = false;

  constructor(private readonly o: CloudOptions) {
    this.store = new Store(join(o.dataDir, 'state.json'));
    this.instancesDir = join(o.dataDir, 'instances');
  }

  get network(): Network {
    return this.o.network;
  }

  /** Loads the state a previous run left; its instances died with it (or are killed now). */
  start(): void {
    this.store.load();
    const now = Date.now();
    for (const i of this.store.instances.values()) {
      if (i.state === 'terminated') continue;
      if (i.pid && reapLeftover(this.instancesDir, i.instanceId, i.pid)) this.o.log.warn({ instanceId: i.instanceId, pid: i.pid }, 'killed a leftover instance process');
      this.store.put(transition(i, 'terminated', now, REASONS.endpointStopped));
    }
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), Math.min(60_000, Math.max(1000, this.o.terminatedTtlMs))).unref();
    this.spotTimer = setInterval(() => this.randomInterruptions(), 1000).unref();
  }

  instances(): Instance[] {
    return [...this.store.instances.values()];
  }

  get(id: string): Instance | undefined {
    return this.store.instances.get(id);
  }

  subnet(id: string): Subnet {
    const s = this.o.network.subnets.find((x) => x.subnetId === id);
    if (!s) throw new ApiError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
    return s;
  }

  /** RunInstances: validates, answers a repeated ClientToken with its first reservation, boots. */
  launch(req: LaunchRequest): Instance[] {
    if (this.closing) throw new ApiError('Unavailable', 'The service is unavailable. Please try again shortly.', 503);
    if (req.clientToken) {
      const seen = this.store.tokens.get(req.clientToken);
      if (seen) {
        if (seen.fingerprint !== req.fingerprint) throw new ApiError('IdempotentParameterMismatch', 'The client token you have provided is associated with a resource that is already deleted or has different parameters. Please use a different client token.');
        return seen.instanceIds.map((id) => this.get(id)).filter((i): i is Instance => i !== undefined);
      }
    }
    const { spec } = req;
    if (!spec.imageId) throw ApiError.missing('ImageId');
    if (!/^ami-[0-9a-z]+$/.test(spec.imageId)) throw new ApiError('InvalidAMIID.Malformed', `Invalid id: "${spec.imageId}" (expecting "ami-...")`);
    const instanceType = spec.instanceType ?? 'm1.small';
    const subnet = this.placement(spec);
    if (spec.market === 'spot' && this.o.faults.settings.noSpotCapacity) {
      this.o.faults.counters.capacityErrors++;
      throw new ApiError('InsufficientInstanceCapacity', `There is no Spot capacity available that matches your request (${instanceType} in ${subnet.zone.name}).`, 500);
    }
    if (this.o.faults.noCapacity(subnet.zone.name, instanceType)) {
      const others = this.o.network.zones.map((z) => z.name).filter((z) => z !== subnet.zone.name && !this.o.faults.settings.capacity.some((r) => (!r.zone || r.zone === z) && (!r.instanceType || r.instanceType === instanceType)));
      throw ApiError.capacity(instanceType, subnet.zone.name, others);
    }

    const now = Date.now();
    const reservationId = resourceId('r');
    const profile = spec.iamInstanceProfile;
    const tags = { ...spec.tags.instance };
    if (req.launchTemplate) {
      tags['aws:ec2launchtemplate:id'] = req.launchTemplate.id;
      tags['aws:ec2launchtemplate:version'] = String(req.launchTemplate.version);
    }
    const launched: Instance[] = [];
    for (let n = 0; n < req.maxCount; n++) {
      const i: Instance = {
        instanceId: resourceId('i'),
        reservationId,
        imageId: spec.imageId,
        instanceType,
        keyName: spec.keyName,
        subnetId: subnet.subnetId,
        vpcId: subnet.vpcId,
        zone: subnet.zone.name,
        privateIp: '127.0.0.1',
        launchTime: now,
        amiLaunchIndex: n,
        clientToken: req.clientToken,
        securityGroupIds: spec.securityGroupIds.length ? spec.securityGroupIds : ['sg-00000000000000001'],
        iamInstanceProfileArn: profile ? (profile.arn ?? `arn:aws:iam::123456789012:instance-profile/${profile.name}`) : undefined,
        userData: spec.userData,
        tags,
        volumeId: resourceId('vol'),
        volumeTags: { ...spec.tags.volume },
        ...(spec.market === 'spot' ? { lifecycle: 'spot' as const } : {}),
        state: 'pending',
        stateChangedAt: now,
        transitionReason: '',
      };
      this.store.put(i);
      launched.push(i);
    }
    if (req.clientToken) {
      this.store.tokens.set(req.clientToken, { fingerprint: req.fingerprint, reservationId, instanceIds: launched.map((i) => i.instanceId), at: now });
    }
    for (const i of launched) this.boot(i.instanceId);
    this.o.log.info({ reservationId, instances: launched.map((i) => i.instanceId), zone: subnet.zone.name, instanceType }, 'instances launched');
    if (this.o.faults.takeLostResponse()) throw new ApiError('InternalError', 'An internal error has occurred', 500);
    return launched;
  }

  /** The subnet a launch goes to: the one named, the named zone's, else the least used zone's. */
  private placement(spec: LaunchSpec): Subnet {
    if (spec.subnetId) {
      const s = this.subnet(spec.subnetId);
      if (spec.zone && spec.zone !== s.zone.name) throw ApiError.invalidCombination(`The subnet ${s.subnetId} is in ${s.zone.name}, not ${spec.zone}`);
      return s;
    }
    if (spec.zone) {
      const s = this.o.network.subnets.find((x) => x.zone.name === spec.zone);
      if (!s) throw ApiError.invalidValue('Placement.AvailabilityZone', spec.zone, 'No such Availability Zone');
      return s;
    }
    const used = new Map<string, number>();
    for (const i of this.store.instances.values()) if (i.state !== 'terminated') used.set(i.subnetId, (used.get(i.subnetId) ?? 0) + 1);
    return [...this.o.network.subnets].sort((a, b) => (used.get(a.subnetId) ?? 0) - (used.get(b.subnetId) ?? 0))[0]!;
  }

  private boot(id: string): void {
    const run: Running = {};
    this.live.set(id, run);
    run.bootTimer = setTimeout(() => void this.startProcess(id, run), this.o.faults.settings.bootDelayMs);
  }

  private async startProcess(id: string, run: Running): Promise<void> {
    run.bootTimer = undefined;
    const i = this.get(id);
    if (!i || i.state !== 'pending') return;
    if (this.o.faults.takeBootFailure()) {
      this.o.log.warn({ instanceId: id }, 'boot failed (injected fault)');
      this.finish(id, REASONS.bootFailed);
      return;
    }
    if (this.o.bareInstances && !i.userData) {
      this.store.put(transition(i, 'running', Date.now()));
      return;
    }
    const imds = new Imds({ instance: () => this.get(id), region: this.o.network.region, zoneId: (z) => this.o.network.zones.find((x) => x.name === z)?.id });
    run.imds = imds;
    const imdsPort = await imds.listen();
    const now = this.get(id);
    if (!now || now.state !== 'pending') return void imds.close();
    const child = startInstanceProcess({ ...this.o.process, instancesDir: this.instancesDir }, id, i.userData, imdsPort);
    run.child = child;
    run.exited = new Promise((ok) => {
      child.once('exit', () => ok());
      child.once('error', () => ok());
    });
    // A process that cannot start at all (no such interpreter) is a failed boot.
    child.once('error', (err) => {
      this.o.log.error({ instanceId: id, err: err.message }, 'instance process failed to start');
      this.finish(id, REASONS.bootFailed);
    });
    child.once('exit', (code, signal) => {
      const cur = this.get(id);
      this.o.log.info({ instanceId: id, pid: child.pid, code, signal, state: cur?.state }, 'instance process exited');
      // The process is the instance: its own exit is an instance-initiated shutdown.
      this.finish(id, cur?.state === 'shutting-down' ? REASONS.userTerminated : REASONS.instanceShutdown);
    });
    this.store.put({ ...transition(now, 'running', Date.now()), pid: child.pid, imdsPort });
    this.o.log.info({ instanceId: id, pid: child.pid, imdsPort }, 'instance running');
  }

  /** → terminated, releasing the metadata service. */
  private finish(id: string, reason: StateReason): void {
    const run = this.live.get(id);
    this.live.delete(id);
    if (run?.bootTimer) clearTimeout(run.bootTimer);
    void run?.imds?.close();
    const i = this.get(id);
    if (i && i.state !== 'terminated') this.store.put(transition(i, 'terminated', Date.now(), i.stateReason ?? reason));
  }

  /** TerminateInstances: every id must exist (else nothing happens), as AWS does. */
  terminate(ids: readonly string[]): StateChange[] {
    const missing = ids.filter((id) => !this.store.instances.has(id));
    if (missing.length) throw ApiError.instanceNotFound(missing);
    const changes: StateChange[] = [];
    for (const id of new Set(ids)) {
      const i = this.get(id)!;
      const previous = i.state;
      if (previous === 'pending' || previous === 'running') {
        this.store.put(transition(i, 'shutting-down', Date.now(), REASONS.userTerminated));
        const run = this.live.get(id);
        if (run?.child) void stopInstanceProcess(run.child, this.o.killTimeoutMs);
        else this.finish(id, REASONS.userTerminated);
      }
      changes.push({ instanceId: id, previous, current: previous === 'terminated' ? 'terminated' : 'shutting-down' });
    }
    this.o.log.info({ instances: [...new Set(ids)] }, 'terminating instances');
    return changes;
  }

  /** `spotInterruptRate` notices per Spot instance-hour, as a Poisson process checked each second. */
  private randomInterruptions(): void {
    const { spotInterruptRate: rate, spotNoticeMs } = this.o.faults.settings;
    if (rate <= 0) return;
    for (const i of this.store.instances.values()) {
      if (i.lifecycle !== 'spot' || i.interruption || (i.state !== 'running' && i.state !== 'pending')) continue;
      if (Math.random() < rate / 3600) this.interrupt(i.instanceId, { noticeMs: spotNoticeMs });
    }
  }

  /**
   * A Spot interruption: the notice shows in the instance's metadata now, and the instance is
   * terminated `noticeMs` later (AWS: two minutes). With `rebalanceOnly`, just the earlier
   * rebalance recommendation.
   */
  interrupt(id: string, opts: { noticeMs: number; rebalanceOnly?: boolean }): Instance {
    const i = this.get(id);
    if (!i) throw ApiError.instanceNotFound([id]);
    if (i.state !== 'running' && i.state !== 'pending') throw new ApiError('IncorrectInstanceState', `The instance '${id}' is not in a state from which it can be interrupted.`);
    const now = Date.now();
    if (opts.rebalanceOnly) {
      this.store.put({ ...i, rebalanceAt: now });
      return this.get(id)!;
    }
    this.store.put({ ...i, interruption: { action: 'terminate', at: now + opts.noticeMs } });
    const run = this.live.get(id);
    const timer = setTimeout(() => {
      const cur = this.get(id);
      if (!cur || (cur.state !== 'running' && cur.state !== 'pending')) return;
      this.o.log.info({ instanceId: id }, 'spot interruption: terminating');
      this.store.put(transition(cur, 'shutting-down', Date.now(), REASONS.spotInterrupted));
      if (run?.child) void stopInstanceProcess(run.child, this.o.killTimeoutMs);
      else this.finish(id, REASONS.spotInterrupted);
    }, opts.noticeMs);
    timer.unref();
    this.o.log.info({ instanceId: id, noticeMs: opts.noticeMs }, 'spot interruption notice issued');
    return this.get(id)!;
  }

  /** CreateTags on instances (`i-…`) and their volumes (`vol-…`). */
  tag(resourceIds: readonly string[], tags: Record<string, string>): void {
    const byVolume = new Map([...this.store.instances.values()].map((i) => [i.volumeId, i]));
    const targets = resourceIds.map((id) => {
      const i = id.startsWith('vol-') ? byVolume.get(id) : this.get(id);
      if (!i) throw id.startsWith('i-') ? ApiError.instanceNotFound([id]) : new ApiError('InvalidID', `The ID '${id}' is not valid`);
      return { id, i };
    });
    for (const { id, i } of targets) {
      const cur = this.get(i.instanceId)!;
      this.store.put(id.startsWith('vol-') ? { ...cur, volumeTags: { ...cur.volumeTags, ...tags } } : { ...cur, tags: { ...cur.tags, ...tags } });
    }
  }

  private prune(): void {
    const now = Date.now();
    for (const i of [...this.store.instances.values()]) {
      if (expired(i, now, this.o.terminatedTtlMs)) this.store.instances.delete(i.instanceId);
    }
    // AWS honours a token for at least a day; after that, and once its instances are gone, it is forgotten.
    for (const [token, rec] of [...this.store.tokens]) {
      if (now - rec.at > TOKEN_TTL_MS && rec.instanceIds.every((id) => !this.store.instances.has(id))) this.store.tokens.delete(token);
    }
    this.store.changed();
  }

  /** Terminates every instance and waits for their processes: nothing outlives the endpoint. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.pruneTimer);
    clearInterval(this.spotTimer);
    const alive = [...this.store.instances.values()].filter((i) => i.state !== 'terminated').map((i) => i.instanceId);
    if (alive.length) this.terminate(alive);
    await Promise.all([...this.live.values()].map((r) => r.exited));
    for (const id of alive) this.finish(id, REASONS.endpointStopped);
    this.store.flush();
  }
}
