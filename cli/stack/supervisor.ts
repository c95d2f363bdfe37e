import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectRedis, Fleet, type Redis } from '../../fleet/index.js';
import { ShoalError } from '../../lib/errors.js';
import { redact } from '../../lib/redact.js';
import type { Logger } from '../../lib/log.js';
import { pidAlive as alive, signalGroup as killGroup } from '../../lib/process.js';
import { startRedisServer, type EmbeddedRedis } from '../../lib/redis-server.js';
import type { ChildFlags } from '../flags.js';
import type { AuthMode, CompatAuthMode } from '../../app/config.js';
import { startChild, type Child } from './child.js';
import { ensureDemoUser } from './demo-user.js';
import { readStack, removeStack, stackPath, writeStack, type Stack } from './stack-file.js';

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
}

const SHOAL_BIN = fileURLToPath(new URL('../shoal.js', import.meta.url));
const REAPER_BIN = fileURLToPath(new URL('./reaper.js', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../../../samples/', import.meta.url));

/** `shoal up`: starts every tier as a child, in order, and stops them in reverse. */
export class Supervisor {
  private redisServer?: EmbeddedRedis;
  private dynamo?: Child;
  private proxy?: Child;
  private autoscaler?: Child;
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

    this.proxy = await this.child('proxy', this.cfg.proxy, ['proxy', '--prefix', this.cfg.prefix], /shoal proxy ready at (\S+) \(admin (\S+?)\)(?: \(compat (\S+?)\))?\n/);
    stack.proxy = { url: this.proxy.ready[1]!, adminUrl: this.proxy.ready[2]!, pid: this.proxy.pid, compatUrl: this.proxy.ready[3] };
    await writeStack(this.dataDir, stack);
    this.say(`proxy       ready  ${stack.proxy.url} (admin ${stack.proxy.adminUrl})${stack.proxy.compatUrl ? `, course API at ${stack.proxy.compatUrl}` : ''}`);

    const scalerArgs = ['autoscaler', '--prefix', this.cfg.prefix, '--dynamodb', stack.dynamodb.endpoint, '--table-prefix', this.cfg.tablePrefix];
    this.autoscaler = await this.child('autoscaler', this.cfg.autoscaler, scalerArgs, /admin (?:at )?(http:\/\/\S+?)\/?(?:\s|\)|$)/);
    stack.autoscaler = { adminUrl: this.autoscaler.ready[1]!, pid: this.autoscaler.pid };
    stack.dashboard = `${stack.autoscaler.adminUrl}/`;
    await writeStack(this.dataDir, stack);
    this.say(`autoscaler  ready  ${stack.autoscaler.adminUrl} (${this.cfg.provider} provider, min ${this.cfg.min}, max ${this.cfg.max})`);

    await this.waitForServers(this.cfg.min);
    const demo = await ensureDemoUser(this.dataDir, stack.proxy.url);
    stack.auth = { mode: this.cfg.auth, ...demo };
    await writeStack(this.dataDir, stack);
    this.say(`auth        ${this.cfg.auth}   demo user ${demo.email} (password in ${stackPath(this.dataDir)}, 0600)`);
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
        throw new ShoalError('SHOAL_ERR_REDIS_UNREACHABLE', `cannot reach Redis at ${redact(this.cfg.redis!)}: ${redact(err.message)}`, 400);
      });
      this.fleet = new Fleet(this.redis, this.cfg.prefix);
      this.say(`redis       ready  ${redact(this.cfg.redis)}`);
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
    this.dynamo = await this.child('dynamodb', { args: [], env: {} }, ['dynamodb', '--data-dir', this.dataDir], /shoal dynamodb ready at (\S+)/);
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

  /** App servers are the autoscaler's children; after it stops, drain each one that is left. */
  private async stopAppServers(): Promise<void> {
    if (!this.fleet) return;
    const servers = await this.fleet.registry.list().catch(() => []);
    const pids = servers
      .filter((s) => s.provider === 'local' && s.state !== 'gone')
      .map((s) => Number(s.instanceId))
      .filter((p) => p > 0 && alive(p));
    for (const p of pids) killGroup(p, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const p of pids.filter(alive)) killGroup(p, 'SIGKILL');
  }

  /** A long-running tier: its flags on argv, the Redis URL (it may hold a password) in its environment. */
  private child(name: string, flags: ChildFlags, args: string[], readyLine: RegExp): Promise<Child> {
    return startChild({
      name,
      command: process.execPath,
      args: [SHOAL_BIN, ...args, ...flags.args],
      env: { ...this.env(), ...flags.env, REDIS_URL: this.stack!.redis.url, SHOAL_PARENT_PID: String(process.pid), SHOAL_APP_AUTH: this.cfg.auth, SHOAL_APP_COMPAT_AUTH: this.cfg.compatAuth },
      logFile: this.logFile(name),
      readyLine,
      timeoutMs: this.cfg.readyTimeout,
    });
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, SHOAL_LOG_LEVEL: this.cfg.logLevel };
  }

  /** Runs a one-shot shoal command to completion; its output goes to its log. */
  private async runOnce(name: string, args: string[]): Promise<void> {
    const c = await startChild({
      name,
      command: process.execPath,
      args: [SHOAL_BIN, ...args],
      env: this.env(),
      logFile: this.logFile(name),
      readyLine: /^/,
      timeoutMs: this.cfg.readyTimeout,
    });
    const code = await c.exited;
    if (code !== 0) throw new ShoalError('SHOAL_ERR_CHILD_EXIT', `shoal ${args.slice(0, 2).join(' ')} failed (${code}); see ${this.logFile(name)}`);
  }
}
