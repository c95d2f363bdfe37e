import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectRedis, Fleet, type Redis } from '../../fleet/index.js';
import { ShoalError } from '../../lib/errors.js';
import { formatDuration } from '../../lib/duration.js';
import type { Logger } from '../../lib/log.js';
import { pidAlive as alive, signalGroup as killGroup } from '../../lib/process.js';
import { startRedisServer, type EmbeddedRedis } from '../../lib/redis-server.js';
import { LocalState, localStateDir } from '../../autoscaler/providers/local-state.js';
import { startChild, type Child } from './child.js';
import { readStack, removeStack, stackPath, writeStack, type Stack } from './stack-file.js';

export interface UpConfig {
  port: number;
  host: string;
  adminPort: number;
  proxyAdminPort: number;
  min: number;
  max: number;
  targetRps?: number;
  targetMemory?: number;
  interval: number;
  scaleDownWindow: number;
  provider: string;
  redis?: string;
  dynamodb: string;
  dataDir: string;
  prefix: string;
  tablePrefix: string;
  /** Load the sample CSVs on first run. */
  seed: boolean;
  readyTimeout: number;
}

const SHOAL_BIN = fileURLToPath(new URL('../shoal.js', import.meta.url));
const REAPER_BIN = fileURLToPath(new URL('./reaper.js', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../../../samples/', import.meta.url));

/**
 * `shoal up --provider ec2`: the autoscaler runs the production ec2 provider against the
 * embedded endpoint (its fixed subnets, one per zone), with credentials it accepts from anyone.
 * The release URL only fills the user data's install step, which the embedded instances skip.
 */
const EMBEDDED_EC2 = {
  region: 'us-east-1',
  subnets: ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'],
  env: { AWS_ACCESS_KEY_ID: 'shoal-embedded', AWS_SECRET_ACCESS_KEY: 'shoal-embedded', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
};

function ec2Args(endpoint: string): string[] {
  return [
    '--ec2-endpoint', endpoint, '--region', EMBEDDED_EC2.region, '--subnets', EMBEDDED_EC2.subnets.join(','),
    '--image-id', 'ami-00000000000000000', '--instance-types', 't3.small', '--fleet', 'shoal-up',
    '--release-url', 'https://shoal.invalid/embedded-release.tgz',
  ];
}

/** `shoal up`: starts every tier as a child, in order, and stops them in reverse. */
export class Supervisor {
  private redisServer?: EmbeddedRedis;
  private dynamo?: Child;
  private proxy?: Child;
  private autoscaler?: Child;
  private ec2?: Child;
  private reaperPid?: number;
  private redis?: Redis;
  private fleet?: Fleet;
  private stack?: Stack;
  private stopping?: Promise<void>;

  constructor(
    private readonly cfg: UpConfig,
    private readonly log: Logger,
    private readonly say: (line: string) => void,
  ) {}

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
    await writeStack(this.dataDir, stack);
    stack.dynamodb = await this.startDynamo();
    await writeStack(this.dataDir, stack);
    await this.prepareTables(stack.dynamodb.endpoint);
    await this.forgetStaleServers();

    this.proxy = await this.child('proxy', [
      'proxy', '--port', String(this.cfg.port), '--host', this.cfg.host, '--admin-port', String(this.cfg.proxyAdminPort),
      '--redis', stack.redis.url, '--prefix', this.cfg.prefix,
    ], /shoal proxy ready at (\S+) \(admin (\S+?)\)/);
    stack.proxy = { url: this.proxy.ready[1]!, adminUrl: this.proxy.ready[2]!, pid: this.proxy.pid };
    await writeStack(this.dataDir, stack);
    this.say(`proxy       ready  ${stack.proxy.url} (admin ${stack.proxy.adminUrl})`);

    if (this.cfg.provider === 'ec2') {
      this.ec2 = await this.child('ec2', ['ec2', 'endpoint', '--port', '0', '--data-dir', join(this.dataDir, 'ec2'), '--region', EMBEDDED_EC2.region], /shoal ec2 endpoint ready at (\S+)/);
      stack.ec2 = { endpoint: this.ec2.ready[1]!, pid: this.ec2.pid };
      await writeStack(this.dataDir, stack);
      this.say(`ec2         ready  ${stack.ec2.endpoint} (embedded EC2 endpoint: app servers are its instances, booted from user data)`);
    }

    const scalerArgs = [
      'autoscaler', '--provider', this.cfg.provider, '--min', String(this.cfg.min), '--max', String(this.cfg.max),
      '--interval', formatDuration(this.cfg.interval), '--scale-down-window', formatDuration(this.cfg.scaleDownWindow),
      '--admin-port', String(this.cfg.adminPort), '--redis', stack.redis.url, '--prefix', this.cfg.prefix,
      '--dynamodb', stack.dynamodb.endpoint, '--table-prefix', this.cfg.tablePrefix, '--data-dir', this.dataDir,
    ];
    if (this.cfg.targetRps) scalerArgs.push('--target-rps', String(this.cfg.targetRps));
    if (this.cfg.targetMemory) scalerArgs.push('--target-memory', String(this.cfg.targetMemory));
    if (stack.ec2) scalerArgs.push(...ec2Args(stack.ec2.endpoint));
    this.autoscaler = await this.child('autoscaler', scalerArgs, /admin (?:at )?(http:\/\/\S+?)\/?(?:\s|\)|$)/);
    stack.autoscaler = { adminUrl: this.autoscaler.ready[1]!, pid: this.autoscaler.pid };
    stack.dashboard = `${stack.autoscaler.adminUrl}/`;
    await writeStack(this.dataDir, stack);
    this.say(`autoscaler  ready  ${stack.autoscaler.adminUrl} (${this.cfg.provider} provider, min ${this.cfg.min}, max ${this.cfg.max})`);

    await this.waitForServers(this.cfg.min);
    this.say('');
    this.say(`shoal is up:  API ${stack.proxy.url}/api/v1/music   dashboard ${stack.dashboard}`);
    this.say(`              status: shoal status --data-dir ${this.cfg.dataDir}    stop: Ctrl-C`);
    return stack;
  }

  /** Stops every child in order: autoscaler, proxy, app servers (drained), DynamoDB, Redis. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    await this.autoscaler?.stop();
    await this.proxy?.stop();
    await this.stopAppServers();
    // the endpoint terminates its instances (the app servers drain) before it exits
    await this.ec2?.stop(30_000);
    this.redis?.disconnect();
    await this.dynamo?.stop();
    await this.redisServer?.stop();
    await removeStack(this.dataDir);
    if (this.reaperPid) killGroup(this.reaperPid, 'SIGKILL');
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
      this.redis = connectRedis(this.cfg.redis, { name: 'shoal-up' });
      await this.redis.ping().catch((err: Error) => {
        throw new ShoalError('SHOAL_ERR_REDIS_UNREACHABLE', `cannot reach Redis at ${this.cfg.redis}: ${err.message}`, 400);
      });
      this.fleet = new Fleet(this.redis, this.cfg.prefix);
      this.say(`redis       ready  ${this.cfg.redis}`);
      return { url: this.cfg.redis, embedded: false };
    }
    this.redisServer = await startRedisServer({ detached: true });
    this.redis = connectRedis(this.redisServer.url, { name: 'shoal-up' });
    this.fleet = new Fleet(this.redis, this.cfg.prefix);
    this.say(`redis       ready  ${this.redisServer.url} (embedded redis-server, pid ${this.redisServer.pid}, no persistence)`);
    return { url: this.redisServer.url, embedded: true, pid: this.redisServer.pid };
  }

  private async startDynamo(): Promise<Stack['dynamodb']> {
    if (this.cfg.dynamodb !== 'embedded') {
      this.say(`dynamodb    ready  ${this.cfg.dynamodb}`);
      return { endpoint: this.cfg.dynamodb, embedded: false };
    }
    const dataDir = join(this.dataDir, 'dynamodb');
    this.dynamo = await this.child('dynamodb', ['dynamodb', '--data-dir', this.dataDir], /shoal dynamodb ready at (\S+)/);
    this.say(`dynamodb    ready  ${this.dynamo.ready[1]} (embedded dynalite, data in ${dataDir})`);
    return { endpoint: this.dynamo.ready[1]!, embedded: true, pid: this.dynamo.pid };
  }

  private async prepareTables(endpoint: string): Promise<void> {
    const common = ['--dynamodb', endpoint, '--table-prefix', this.cfg.tablePrefix];
    await this.runOnce('tables', ['tables', 'create', ...common]);
    const marker = join(this.dataDir, 'seeded');
    if (!this.cfg.seed || existsSync(marker)) {
      this.say('tables      ready');
      return;
    }
    await this.runOnce('seed', [
      'seed', ...common, '--users', join(SAMPLES, 'users.csv'), '--music', join(SAMPLES, 'music.csv'), '--playlists', join(SAMPLES, 'playlists.csv'),
    ]);
    await writeFile(marker, new Date().toISOString() + '\n');
    this.say('tables      ready  (sample users, songs and playlists loaded)');
  }

  /** A stale registry from an earlier run (same external Redis) is never taken for live servers. */
  private async forgetStaleServers(): Promise<void> {
    for (const s of await this.fleet!.registry.list()) {
      if (s.state === 'gone' || s.provider !== 'local') continue;
      const pid = Number(s.instanceId);
      if (!pid || !alive(pid)) await this.fleet!.registry.gone(s.id);
    }
  }

  /** Waits until `n` app servers are ready in the registry and the proxy routes to them. */
  private async waitForServers(n: number): Promise<void> {
    const seen = new Set<string>();
    const deadline = Date.now() + this.cfg.readyTimeout;
    for (;;) {
      const routable = await this.routableByProxy();
      for (const s of await this.fleet!.registry.list()) {
        if (s.state === 'ready' && routable.has(s.id) && !seen.has(s.id)) {
          seen.add(s.id);
          this.say(`app         ready  ${s.address} (server ${s.id})`);
        }
      }
      if (seen.size >= n) return;
      if (Date.now() > deadline) {
        throw new ShoalError('SHOAL_ERR_APP_TIMEOUT', `${seen.size}/${n} app servers ready after ${this.cfg.readyTimeout} ms (logs: ${join(this.dataDir, 'logs')})`);
      }
      if (this.autoscaler && !this.autoscaler.alive()) {
        throw new ShoalError('SHOAL_ERR_CHILD_EXIT', `the autoscaler exited (log: ${this.logFile('autoscaler')})`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Ids the proxy would send a request to now: ready in its pool, passing health checks. */
  private async routableByProxy(): Promise<Set<string>> {
    try {
      const res = await fetch(`${this.stack!.proxy!.adminUrl}/pool`, { signal: AbortSignal.timeout(2000) });
      const pool = (await res.json()) as { members?: { id: string; state: string; up: boolean; ejected: boolean }[] };
      return new Set((pool.members ?? []).filter((m) => m.state === 'ready' && m.up && !m.ejected).map((m) => m.id));
    } catch {
      return new Set();
    }
  }

  /** App servers outlive the autoscaler (a standby adopts them); after it stops, drain each one that is left. */
  private async stopAppServers(): Promise<void> {
    await new LocalState(localStateDir(this.dataDir, this.cfg.prefix)).stopAll(15_000);
  }

  private child(name: string, args: string[], readyLine: RegExp): Promise<Child> {
    return startChild({
      name,
      command: process.execPath,
      args: [SHOAL_BIN, ...args],
      env: { ...process.env, SHOAL_PARENT_PID: String(process.pid), ...(name === 'autoscaler' && this.ec2 ? EMBEDDED_EC2.env : {}) },
      logFile: this.logFile(name),
      readyLine,
      timeoutMs: this.cfg.readyTimeout,
    });
  }

  /** Runs a one-shot shoal command to completion; its output goes to its log. */
  private async runOnce(name: string, args: string[]): Promise<void> {
    const c = await startChild({
      name,
      command: process.execPath,
      args: [SHOAL_BIN, ...args],
      env: process.env,
      logFile: this.logFile(name),
      readyLine: /^/,
      timeoutMs: this.cfg.readyTimeout,
    });
    const code = await c.exited;
    if (code !== 0) throw new ShoalError('SHOAL_ERR_CHILD_EXIT', `shoal ${args.slice(0, 2).join(' ')} failed (${code}); see ${this.logFile(name)}`);
  }
}
