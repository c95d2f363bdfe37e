import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectRedis, Fleet, type Redis, type StackProcess } from '../../fleet/index.js';
import { ShoalError } from '../../lib/errors.js';
import { redact } from '../../lib/redact.js';
import type { Logger } from '../../lib/log.js';
import { pidAlive as alive, signalGroup as killGroup } from '../../lib/process.js';
import { startRedisServer, type EmbeddedRedis } from '../../lib/redis-server.js';
import { awaitOtherPrimary, startSentinel } from '../../lib/redis-sentinel.js';
import type { ChildFlags } from '../flags.js';
import type { AuthMode, CompatAuthMode } from '../../app/config.js';
import { forgetStaleServers, stopAppServers, waitForServers } from './app-servers.js';
import { freePort } from '../../lib/free-port.js';
import { startChild, type Child } from './child.js';
import { createEmbeddedGroup, EMBEDDED_GROUP } from './embedded-group.js';
import { startPrometheus } from './prometheus.js';
import { ensureDemoUser } from './demo-user.js';
import { prepareTables, SHOAL_BIN } from './tables.js';
import { BACKOFF, type RestartPolicy } from './restart-policy.js';
import { readStack, removeStack, stackPath, writeStack, type Stack } from './stack-file.js';
import { Supervised, type Running } from './supervised.js';

export interface UpConfig {
  /** An existing Redis; absent = an embedded redis-server child. */
  redis?: string;
  prefix: string;
  dynamodb: string;
  tablePrefix: string;
  dataDir: string;
  /** Load the sample CSVs on first run. */
  seed: boolean;
  readyTimeout: number;
  logLevel: string;
  min: number;
  max: number;
  provider: string;
  /** The proxy's and the autoscaler's own flags, as `shoal up` received them. */
  proxy: ChildFlags;
  autoscaler: ChildFlags;
  /** Serve the course system's API on this port too (the proxy's --compat-port, also in `proxy`). */
  compatPort?: number;
  auth: AuthMode;
  compatAuth: CompatAuthMode;
  /** --redis-ha: a primary, a replica and three sentinels; every tier connects through Sentinel. */
  redisHa?: boolean;
  /** The master name the sentinels and clients use. */
  redisSentinelName?: string;
  /** --enable-faults: every tier takes chaos faults (handed to the app servers through the environment). */
  enableFaults?: boolean;
  /** More restarts of one child than this within `restartWindow` is a crash loop. */
  restartBurst: number;
  restartWindow: number;
  /** Run Prometheus against the stack (`--prometheus`), on this port (0 = a free one), at this interval. */
  prometheus?: boolean;
  prometheusPort: number;
  prometheusInterval: number;
}

const REAPER_BIN = fileURLToPath(new URL('./reaper.js', import.meta.url));

/**
 * `shoal up --provider ec2|asg`: the autoscaler runs the production ec2 (or asg) provider against the
 * embedded endpoint (its fixed subnets, one per zone), with credentials it accepts from anyone.
 * The release URL only fills the user data's install step, which the embedded instances skip.
 */
const EMBEDDED_EC2 = {
  region: 'us-east-1',
  subnets: ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'],
  env: { AWS_ACCESS_KEY_ID: 'shoal-embedded', AWS_SECRET_ACCESS_KEY: 'shoal-embedded', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
};

function ec2Args(endpoint: string, provider: string): string[] {
  if (provider === 'asg') return ['--ec2-endpoint', endpoint, '--autoscaling-endpoint', endpoint, '--region', EMBEDDED_EC2.region, '--group', EMBEDDED_GROUP];
  return [
    '--ec2-endpoint', endpoint, '--region', EMBEDDED_EC2.region, '--subnets', EMBEDDED_EC2.subnets.join(','),
    '--image-id', 'ami-00000000000000000', '--instance-types', 't3.small', '--fleet', 'shoal-up',
    '--release-url', 'https://shoal.invalid/embedded-release.tgz',
  ];
}

/**
 * `shoal up`: starts every tier as a child, in order, and stops them in reverse. A child
 * that exits on its own is reported and started again on the same port and data; one
 * that keeps exiting (past the restart policy) stops the whole stack: `failed` resolves.
 */
export class Supervisor {
  private redisServer?: Supervised<EmbeddedRedis>;
  /** --redis-ha: the replica and the sentinels, stopped after the primary. */
  private redisHa: Supervised<EmbeddedRedis>[] = [];
  private sentinelPorts: number[] = [];
  private dynamo?: Supervised<Child>;
  private proxy?: Supervised<Child>;
  private autoscaler?: Supervised<Child>;
  private prometheus?: Supervised<Child>;
  private readonly supervised: Pick<Supervised<Running>, 'record' | 'retire'>[] = [];
  private ec2?: Supervised<Child>;
  private reaperPid?: number;
  private redis?: Redis;
  private fleet?: Fleet;
  private stack?: Stack;
  private stopping?: Promise<void>;
  private saving: Promise<void> = Promise.resolve();
  private fatal?: ShoalError;
  private giveUp: (err: ShoalError) => void = () => {};
  /** Resolves when a child is in a crash loop: the caller then stops the stack and exits non-zero. */
  readonly failed = new Promise<ShoalError>((resolve) => (this.giveUp = resolve));
  private readonly policy: RestartPolicy;

  constructor(
    private readonly cfg: UpConfig,
    private readonly log: Logger,
    private readonly say: (line: string) => void,
  ) {
    this.policy = { burst: cfg.restartBurst, windowMs: cfg.restartWindow, ...BACKOFF };
  }

  private get dataDir(): string {
    return resolve(this.cfg.dataDir);
  }

  private logFile(name: string): string {
    return join(this.dataDir, 'logs', `${name}.log`);
  }

  async start(): Promise<Stack> {
    await this.refuseSecondStack();
    const stack: Stack = {
      version: 1,
      pid: process.pid,
      startedAt: Date.now(),
      dataDir: this.dataDir,
      prefix: this.cfg.prefix,
      redis: { url: '', embedded: !this.cfg.redis },
      dynamodb: { endpoint: '', embedded: this.cfg.dynamodb === 'embedded' },
    };
    this.stack = stack;
    await writeStack(this.dataDir, stack);
    this.startReaper();

    stack.redis = await this.startRedis();
    await this.save();
    stack.dynamodb = await this.startDynamo();
    await this.save();
    await prepareTables({
      endpoint: stack.dynamodb.endpoint,
      tablePrefix: this.cfg.tablePrefix,
      seed: this.cfg.seed,
      dataDir: this.dataDir,
      timeoutMs: this.cfg.readyTimeout,
      env: this.env(),
      say: this.say,
    });
    await forgetStaleServers(this.fleet!);
    await this.startProxy();
    if (this.cfg.provider === 'ec2' || this.cfg.provider === 'asg') await this.startEc2();
    if (this.cfg.provider === 'asg') await this.createGroup();
    await this.startAutoscaler();
    if (this.cfg.prometheus) await this.startPrometheus();

    await waitForServers({
      fleet: this.fleet!,
      proxyAdminUrl: stack.proxy!.adminUrl,
      n: this.cfg.min,
      timeoutMs: this.cfg.readyTimeout,
      logs: join(this.dataDir, 'logs'),
      say: this.say,
      failed: () => this.fatal,
    });
    const demo = await ensureDemoUser(this.dataDir, stack.proxy!.url);
    stack.auth = { mode: this.cfg.auth, ...demo };
    await this.save();
    this.say(`auth        ${this.cfg.auth}   demo user ${demo.email} (password in ${stackPath(this.dataDir)}, 0600)`);
    this.say('');
    this.say(`shoal is up:  API ${stack.proxy!.url}/api/v1/music   dashboard ${stack.dashboard}${stack.prometheus ? `   prometheus ${stack.prometheus.url}` : ''}`);
    this.say(`              status: shoal status --data-dir ${this.cfg.dataDir}    stop: Ctrl-C`);
    return stack;
  }

  /** Stops every child in order: autoscaler, proxy, app servers (drained), DynamoDB, Redis. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    // whatever exits from now on was asked to, or goes anyway
    for (const s of this.supervised) s.retire();
    await this.prometheus?.stop();
    await this.autoscaler?.stop();
    await this.proxy?.stop();
    await stopAppServers(this.dataDir, this.cfg.prefix);
    await this.fleet?.stackProcesses.clear().catch(() => {});
    // the endpoint terminates its instances (the app servers drain) before it exits
    await this.ec2?.stop(30_000);
    this.redis?.disconnect();
    await this.dynamo?.stop();
    await this.redisServer?.stop();
    for (const r of this.redisHa.reverse()) await r.stop();
    await this.saving;
    await removeStack(this.dataDir);
    if (this.reaperPid) killGroup(this.reaperPid, 'SIGKILL');
  }

  /** stack.json, rewritten in order (a restart and a start may both change it). */
  private save(): Promise<void> {
    const stack = this.stack!;
    this.saving = this.saving.then(() => writeStack(this.dataDir, stack)).catch((err: unknown) => this.log.warn({ err }, 'could not write stack.json'));
    return this.saving;
  }

  /** A child under supervision; `onRunning` records each run (pid, address) once it serves. */
  private supervise<R extends Running>(name: string, start: () => Promise<R>, onRunning: (r: R, restarts: number) => void, url?: string): Supervised<R> {
    const s = new Supervised<R>({
      name,
      url,
      logFile: this.logFile(name),
      policy: this.policy,
      start,
      say: this.say,
      onChange: (record, running) => {
        if (running) onRunning(running, record.restarts);
        void this.publish(record);
      },
      onGiveUp: (err) => {
        if (this.stopping || this.fatal) return;
        this.fatal = err;
        this.giveUp(err);
      },
    });
    this.supervised.push(s);
    return s;
  }

  /** Restarts and last exits go to Redis, where `shoal status` and the dashboard read them. */
  private async publish(record: StackProcess): Promise<void> {
    await this.fleet?.stackProcesses.write(record).catch(() => {
      // Redis itself may be the one restarting: every record is written again on reconnect
    });
  }

  private async publishAll(): Promise<void> {
    for (const s of this.supervised) await this.publish({ ...s.record });
  }

  private async refuseSecondStack(): Promise<void> {
    const old = await readStack(this.dataDir);
    if (old && old.pid !== process.pid && alive(old.pid)) {
      throw new ShoalError('SHOAL_ERR_STACK_RUNNING', `a stack is already running from ${stackPath(this.dataDir)} (pid ${old.pid}); stop it or use another --data-dir`, 400);
    }
  }

  private startReaper(): void {
    const p = spawn(process.execPath, [REAPER_BIN, String(process.pid), stackPath(this.dataDir)], { detached: true, stdio: 'ignore' });
    p.unref();
    this.reaperPid = p.pid;
  }

  private async startRedis(): Promise<Stack['redis']> {
    if (this.cfg.redis) {
      const probe = connectRedis(this.cfg.redis, { name: 'shoal-up' });
      await probe.ping().then(
        () => probe.disconnect(),
        (err: Error) => {
          probe.disconnect();
          throw new ShoalError('SHOAL_ERR_REDIS_UNREACHABLE', `cannot reach Redis at ${redact(this.cfg.redis!)}: ${redact(err.message)}`, 400);
        },
      );
      await this.connectFleet(this.cfg.redis);
      this.say(`redis       ready  ${redact(this.cfg.redis)}`);
      return { url: this.cfg.redis, embedded: false };
    }
    const dir = join(this.dataDir, 'redis');
    let port = 0;
    this.redisServer = this.supervise(
      'redis',
      async () => {
        // --redis-ha: a dead primary comes back as a replica of whichever node Sentinel promoted
        const replicaOf = port && this.sentinelPorts.length ? await awaitOtherPrimary(this.sentinelPorts, this.cfg.redisSentinelName ?? 'shoal', port) : undefined;
        const r = await startRedisServer({ port, detached: true, dir, logFile: this.logFile('redis'), replicaOf });
        port = r.port;
        return r;
      },
      (r, restarts) => {
        if (restarts === 0) return; // the first run is recorded by the caller
        this.stack!.redis.pid = r.pid;
        void this.save();
        this.say(`redis       ready  ${r.url} (pid ${r.pid}, restart ${restarts})`);
      },
    );
    const server = await this.redisServer.start();
    if (this.cfg.redisHa) return this.startRedisHa(server);
    await this.connectFleet(server.url);
    this.say(`redis       ready  ${server.url} (embedded redis-server, pid ${server.pid}, append-only file in ${dir})`);
    return { url: server.url, embedded: true, pid: server.pid };
  }

  /**
   * `--redis-ha`: a replica of the primary and three Debian redis-sentinel processes, each
   * supervised (a restart keeps its port). Every tier is handed the sentinel URL, so clients
   * ask the sentinels for the primary and follow a failover.
   */
  private async startRedisHa(primary: EmbeddedRedis): Promise<Stack['redis']> {
    const name = this.cfg.redisSentinelName ?? 'shoal';
    const dir = join(this.dataDir, 'redis-ha');
    const pinned = (label: string, start: (port: number, restart: boolean) => Promise<EmbeddedRedis>) => {
      let port = 0;
      const s = this.supervise(label, async () => {
        const r = await start(port, port !== 0);
        port = r.port;
        return r;
      }, (r, restarts) => restarts > 0 && this.say(`${label.padEnd(11)} ready  127.0.0.1:${r.port} (pid ${r.pid}, restart ${restarts})`));
      this.redisHa.push(s);
      return s.start();
    };
    const replica = await pinned('redis-replica', async (port, restart) =>
      startRedisServer({
        port,
        detached: true,
        dir: join(dir, 'replica'),
        replicaOf: restart ? await awaitOtherPrimary(this.sentinelPorts, name, port) : primary.port,
        logFile: this.logFile('redis-replica'),
      }),
    );
    const sentinels: EmbeddedRedis[] = [];
    for (const i of [1, 2, 3]) {
      sentinels.push(await pinned(`sentinel-${i}`, (port, restart) => startSentinel({ port, restart, primaryPort: primary.port, name, dir: join(dir, `sentinel-${i}`), detached: true, logFile: this.logFile(`sentinel-${i}`) })));
    }
    this.sentinelPorts = sentinels.map((x) => x.port);
    const url = `redis-sentinel://${sentinels.map((x) => `127.0.0.1:${x.port}`).join(',')}/${name}`;
    await this.connectFleet(url);
    this.say(`redis       ready  primary 127.0.0.1:${primary.port} (pid ${primary.pid}), replica 127.0.0.1:${replica.port} (pid ${replica.pid}), sentinels ${sentinels.map((x) => x.port).join(', ')} watching "${name}"`);
    return { url, embedded: true, pid: primary.pid };
  }

  /** The supervisor's own client: stale process records of an earlier run go, ours are rewritten on every reconnect. */
  private async connectFleet(url: string): Promise<void> {
    this.redis = connectRedis(url, { name: 'shoal-up' });
    this.fleet = new Fleet(this.redis, this.cfg.prefix);
    await this.fleet.stackProcesses.clear().catch(() => {});
    this.redis.on('ready', () => void this.publishAll());
    await this.publishAll();
  }

  private async startDynamo(): Promise<Stack['dynamodb']> {
    if (this.cfg.dynamodb !== 'embedded') {
      this.say(`dynamodb    ready  ${this.cfg.dynamodb}`);
      return { endpoint: this.cfg.dynamodb, embedded: false };
    }
    const dataDir = join(this.dataDir, 'dynamodb');
    let port = 0;
    this.dynamo = this.supervise(
      'dynamodb',
      async () => {
        const c = await this.child('dynamodb', { args: [], env: {} }, ['dynamodb', '--data-dir', this.dataDir, '--port', String(port)], /shoal dynamodb ready at (\S+)/);
        port = portOf(c.ready[1]!);
        return c;
      },
      (c, restarts) => {
        if (restarts === 0) return;
        this.stack!.dynamodb.pid = c.pid;
        void this.save();
        this.say(`dynamodb    ready  ${c.ready[1]} (pid ${c.pid}, restart ${restarts})`);
      },
    );
    const c = await this.dynamo.start();
    this.say(`dynamodb    ready  ${c.ready[1]} (embedded dynalite, data in ${dataDir})`);
    return { endpoint: c.ready[1]!, embedded: true, pid: c.pid };
  }

  private async startProxy(): Promise<void> {
    const stack = this.stack!;
    this.proxy = this.supervise(
      'proxy',
      () => {
        // A restart binds the addresses the first run got (its flags may have said 0).
        const pin = stack.proxy ? ['--port', String(portOf(stack.proxy.url)), '--admin-port', String(portOf(stack.proxy.adminUrl))] : [];
        if (stack.proxy?.compatUrl) pin.push('--compat-port', String(portOf(stack.proxy.compatUrl)));
        return this.child('proxy', this.cfg.proxy, ['proxy', '--prefix', this.cfg.prefix], /shoal proxy ready at (\S+) \(admin (\S+?)\)(?: \(compat (\S+?)\))?\n/, pin);
      },
      (c, restarts) => {
        const first = !stack.proxy;
        stack.proxy = { url: c.ready[1]!, adminUrl: c.ready[2]!, pid: c.pid, compatUrl: c.ready[3] };
        void this.save();
        const course = stack.proxy.compatUrl ? `, course API at ${stack.proxy.compatUrl}` : '';
        this.say(`proxy       ready  ${stack.proxy.url} (admin ${stack.proxy.adminUrl}${first ? '' : `, pid ${c.pid}, restart ${restarts}`})${course}`);
      },
    );
    await this.proxy.start();
  }

  /** `--provider ec2`: the embedded EC2 endpoint; a restart keeps its port, so the autoscaler's --ec2-endpoint stays true. */
  private async startEc2(): Promise<void> {
    const stack = this.stack!;
    this.ec2 = this.supervise(
      'ec2',
      () => {
        const pin = stack.ec2 ? String(portOf(stack.ec2.endpoint)) : '0';
        return this.child('ec2', { args: [], env: {} }, ['ec2', 'endpoint', '--port', pin, '--data-dir', join(this.dataDir, 'ec2'), '--region', EMBEDDED_EC2.region], /shoal ec2 endpoint ready at (\S+)/);
      },
      (c, restarts) => {
        const first = !stack.ec2;
        stack.ec2 = { endpoint: c.ready[1]!, pid: c.pid };
        void this.save();
        const more = first ? 'embedded EC2 endpoint: app servers are its instances, booted from user data' : `pid ${c.pid}, restart ${restarts}`;
        this.say(`ec2         ready  ${stack.ec2.endpoint} (${more})`);
      },
    );
    await this.ec2.start();
  }

  /** `--provider asg`: the group shoal decides for, as an operator would have it (embedded-group.ts). */
  private async createGroup(): Promise<void> {
    const stack = this.stack!;
    const cfg = this.cfg;
    await createEmbeddedGroup({
      endpoint: stack.ec2!.endpoint,
      region: EMBEDDED_EC2.region,
      subnets: EMBEDDED_EC2.subnets,
      credentials: { accessKeyId: EMBEDDED_EC2.env.AWS_ACCESS_KEY_ID, secretAccessKey: EMBEDDED_EC2.env.AWS_SECRET_ACCESS_KEY },
      redisUrl: stack.redis.url,
      prefix: cfg.prefix,
      dynamodb: stack.dynamodb.endpoint,
      tablePrefix: cfg.tablePrefix,
      min: cfg.min,
      max: cfg.max,
      runId: stack.startedAt,
    });
    this.say(`asg         ready  group ${EMBEDDED_GROUP} (min ${cfg.min}, max ${cfg.max}, a terminating lifecycle hook) on the embedded endpoint`);
  }

  private async startAutoscaler(): Promise<void> {
    const stack = this.stack!;
    const cfg = this.cfg;
    this.autoscaler = this.supervise(
      'autoscaler',
      () => {
        const args = ['autoscaler', '--prefix', cfg.prefix, '--dynamodb', stack.dynamodb.endpoint, '--table-prefix', cfg.tablePrefix, '--data-dir', this.dataDir];
        if (stack.ec2) args.push(...ec2Args(stack.ec2.endpoint, cfg.provider));
        const pin = stack.autoscaler ? ['--admin-port', String(portOf(stack.autoscaler.adminUrl))] : [];
        return this.child('autoscaler', cfg.autoscaler, args, /admin (?:at )?(http:\/\/\S+?)\/?(?:\s|\)|$)/, pin);
      },
      (c, restarts) => {
        const first = !stack.autoscaler;
        stack.autoscaler = { adminUrl: c.ready[1]!, pid: c.pid };
        stack.dashboard = `${stack.autoscaler.adminUrl}/`;
        void this.save();
        const more = first ? `${cfg.provider} provider, min ${cfg.min}, max ${cfg.max}` : `pid ${c.pid}, restart ${restarts}`;
        this.say(`autoscaler  ready  ${stack.autoscaler.adminUrl} (${more})`);
      },
    );
    await this.autoscaler.start();
  }

  /** `--prometheus`: scrapes what the autoscaler's /sd names; a restart keeps its port and its data. */
  private async startPrometheus(): Promise<void> {
    const stack = this.stack!;
    const port = this.cfg.prometheusPort || (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const opts = {
      dataDir: this.dataDir,
      sdUrl: `${stack.autoscaler!.adminUrl}/sd`,
      port,
      intervalMs: this.cfg.prometheusInterval,
      logFile: this.logFile('prometheus'),
      timeoutMs: this.cfg.readyTimeout,
    };
    this.prometheus = this.supervise(
      'prometheus',
      () => startPrometheus(opts),
      (c, restarts) => {
        stack.prometheus = { url, pid: c.pid };
        void this.save();
        this.say(`prometheus  ready  ${url} (${restarts ? `pid ${c.pid}, restart ${restarts}` : `scraping ${opts.sdUrl} every ${opts.intervalMs / 1000} s, data in ${join(this.dataDir, 'prometheus')}`})`);
      },
      url,
    );
    await this.prometheus.start();
  }

  /**
   * A long-running tier: its flags on argv, the Redis URL (it may hold a password) in its
   * environment. `pin` comes last, so it wins over the same flag in `flags` (a restart's ports).
   */
  private child(name: string, flags: ChildFlags, args: string[], readyLine: RegExp, pin: string[] = []): Promise<Child> {
    return startChild({
      name,
      command: process.execPath,
      args: [SHOAL_BIN, ...args, ...flags.args, ...pin],
      env: { ...this.env(), ...flags.env, REDIS_URL: this.stack!.redis.url, SHOAL_PARENT_PID: String(process.pid), SHOAL_APP_AUTH: this.cfg.auth, SHOAL_APP_COMPAT_AUTH: this.cfg.compatAuth, ...(this.cfg.enableFaults ? { SHOAL_ENABLE_FAULTS: '1' } : {}), ...(name === 'autoscaler' && this.ec2 ? EMBEDDED_EC2.env : {}) },
      logFile: this.logFile(name),
      readyLine,
      timeoutMs: this.cfg.readyTimeout,
    });
  }

  /** The children's environment: REDIS_URL (set per child) is the stack's Redis; Sentinels given to shoal up are in it already. */
  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, SHOAL_LOG_LEVEL: this.cfg.logLevel };
    delete env.REDIS_SENTINELS;
    delete env.REDIS_SENTINEL_NAME;
    return env;
  }
}

function portOf(url: string): number {
  return Number(new URL(url.includes('://') ? url : `http://${url}`).port);
}
