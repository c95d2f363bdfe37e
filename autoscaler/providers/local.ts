import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Fleet } from '../../fleet/index.js';
import { ShoalError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { processStartTime, signalGroup } from '../../lib/process.js';
import { placeLaunches } from '../engine/zones.js';
import { BootPacer } from './boot-pacer.js';
import { isAlive, LocalState, type LocalRecord } from './local-state.js';
import type { Instance, Provider, Target } from './provider.js';

/** dist/cli/shoal.js, next to this file's compiled twin. */
const SHOAL_BIN = fileURLToPath(new URL('../../cli/shoal.js', import.meta.url));

export interface LocalProviderOptions {
  fleet: Fleet;
  redisUrl: string;
  prefix: string;
  /** Passed to each app as `--dynamodb` (the stack's endpoint, or `aws`); absent = the app's default. */
  dynamodb?: string;
  tablePrefix?: string;
  /** The app command: `node <dist>/cli/shoal.js app --port 0` unless overridden (tests). */
  command?: string[];
  /** SIGTERM, then SIGKILL after this long. */
  killTimeoutMs: number;
  /** Pid files (see local-state.ts). */
  stateDir: string;
  /** Each app server's stdout and stderr go to `<logDir>/<id>.log`. */
  logDir: string;
  /** Zone labels launches are spread over (`local-a`, …), so zone logic runs on a laptop too. */
  zones: string[];
  /** Written on each server's registry entry (`--server-tags`). */
  tags?: string[];
  /** The app servers stop when this process ends (`shoal up`'s supervisor) — never tied to the autoscaler. */
  stackPid?: number;
  /** How often exits of servers this process did not start are looked for. */
  pollMs?: number;
  /** Boots at once on this machine; more launches wait their turn. Default: the cores available. */
  maxBoots?: number;
  /** Niceness of a server until it is ready (then 0 again). Default 10. */
  bootNice?: number;
  log: Logger;
}

// The child waits on its stdin until its `launching` entry is written and a boot slot is free
// (BootPacer), then becomes the app (exec keeps the pid), so the entry always exists first
// and records the real pid.
const GATE = 'read -r _ && exec "$0" "$@"';

/**
 * App servers as detached processes on loopback, each in its own process group and not
 * tied to the autoscaler's life: a leader killed with SIGKILL leaves them serving, and the
 * next leader finds them through the pid files and adopts them.
 */
export class LocalProvider implements Provider {
  readonly name = 'local';
  readonly listingLagMs = 0;
  private readonly children = new Map<string, ChildProcess>();
  private readonly host = hostname();
  private readonly state: LocalState;
  private readonly reported = new Set<string>();
  private onExit?: (i: Instance) => void;
  private timer?: NodeJS.Timeout;

  private readonly pacer: BootPacer;

  constructor(private readonly o: LocalProviderOptions) {
    this.state = new LocalState(o.stateDir);
    this.pacer = new BootPacer({ fleet: o.fleet, log: o.log, limit: o.maxBoots ?? availableParallelism(), nice: o.bootNice ?? 10 });
  }

  async launch(count: number, running: readonly Instance[]): Promise<string[]> {
    const ids: string[] = [];
    for (const zone of placeLaunches(this.o.zones, running.map((i) => i.zone), count)) ids.push(await this.launchOne(zone));
    return ids;
  }

  private async launchOne(zone: string): Promise<string> {
    const id = `local-${randomUUID().slice(0, 8)}`;
    const [cmd, ...args] = this.o.command ?? [process.execPath, SHOAL_BIN, 'app', '--port', '0', ...this.appFlags()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SHOAL_SERVER_ID: id,
      REDIS_URL: this.o.redisUrl,
      SHOAL_PREFIX: this.o.prefix,
      SHOAL_APP_PROVIDER: this.name,
    };
    delete env.SHOAL_PARENT_PID;
    // REDIS_URL above is the resolved one (a redis-sentinel:// URL when the autoscaler was given Sentinels)
    delete env.REDIS_SENTINELS;
    delete env.REDIS_SENTINEL_NAME;
    if (this.o.stackPid) env.SHOAL_PARENT_PID = String(this.o.stackPid);
    if (this.o.dynamodb && /^https?:/.test(this.o.dynamodb)) env.DYNAMODB_ENDPOINT = this.o.dynamodb;
    // Output to a file, not a pipe: a pipe would break (EPIPE) when the autoscaler dies.
    mkdirSync(this.o.logDir, { recursive: true });
    const out = openSync(join(this.o.logDir, `${id}.log`), 'a');
    const child = spawn('/bin/sh', ['-c', GATE, cmd!, ...args], { env, detached: true, stdio: ['pipe', out, out] });
    closeSync(out);
    child.on('error', (err) => this.o.log.error({ id, err: err.message }, 'could not start app server'));
    child.stdin!.on('error', () => {});
    child.unref();
    const pid = child.pid;
    if (!pid) throw new ShoalError('SHOAL_ERR_LAUNCH', `could not start ${cmd}`);
    const rec: LocalRecord = { id, pid, startTime: processStartTime(pid), zone, launchedAt: Date.now() };
    this.children.set(id, child);
    child.once('exit', (code, signal) => {
      this.children.delete(id);
      this.o.log.info({ id, pid, code, signal }, 'app server exited');
      this.gone(rec);
    });
    try {
      this.state.write(rec);
      await this.o.fleet.registry.launching(id, { provider: this.name, instanceId: String(pid), host: this.host, zone, ...(this.o.tags?.length ? { tags: this.o.tags } : {}) }, rec.launchedAt);
    } catch (err) {
      signalGroup(pid, 'SIGKILL');
      this.state.remove(id);
      throw new ShoalError('SHOAL_ERR_LAUNCH', `could not register ${id}: ${(err as Error).message}`);
    }
    // Its gate opens when a boot slot is free (see BootPacer); until ready it runs niced.
    this.pacer.admit(id, pid, () => child.stdin!.end('go\n'));
    this.o.log.info({ id, pid, zone }, 'launched app server');
    return id;
  }

  private appFlags(): string[] {
    const f: string[] = [];
    if (this.o.dynamodb) f.push('--dynamodb', this.o.dynamodb);
    if (this.o.tablePrefix) f.push('--table-prefix', this.o.tablePrefix);
    return f;
  }

  async terminate(targets: readonly Target[]): Promise<void> {
    const recs = this.state.read();
    await Promise.all(
      targets.map((t) => {
        const rec = recs.find((r) => r.id === t.id || String(r.pid) === t.instanceId);
        return rec ? this.stopOne(rec) : undefined;
      }),
    );
  }

  private async stopOne(rec: LocalRecord): Promise<void> {
    if (!isAlive(rec)) return this.gone(rec);
    signalGroup(rec.pid, 'SIGTERM');
    if (!(await this.waitExit(rec, this.o.killTimeoutMs))) {
      this.o.log.warn({ id: rec.id, pid: rec.pid }, 'app server did not stop in time: SIGKILL');
      signalGroup(rec.pid, 'SIGKILL');
      await this.waitExit(rec, 5000);
    }
    this.gone(rec);
  }

  private async waitExit(rec: LocalRecord, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (isAlive(rec)) {
      if (Date.now() > deadline) return false;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    return true;
  }

  async list(): Promise<Instance[]> {
    return this.state.read().map((r) => {
      const alive = isAlive(r);
      if (!alive) this.gone(r);
      return { id: r.id, instanceId: String(r.pid), state: alive ? 'running' : 'gone', zone: r.zone, launchedAt: r.launchedAt };
    });
  }

  /** Exits of children are seen at once; of servers an earlier leader started, by polling their pids. */
  watchExits(onExit: (i: Instance) => void): void {
    this.onExit = onExit;
    this.timer = setInterval(() => void this.list(), this.o.pollMs ?? 500);
    this.timer.unref();
  }

  /** The app servers keep running: the next leader adopts them, and `shoal up` stops them itself. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.pacer.close();
    for (const c of this.children.values()) c.removeAllListeners('exit');
  }

  /** A server ended: forget its pid file and tell the watcher, once. */
  private gone(rec: LocalRecord): void {
    this.state.remove(rec.id);
    this.pacer.ended(rec.id);
    if (this.reported.has(rec.id)) return;
    this.reported.add(rec.id);
    this.onExit?.({ id: rec.id, instanceId: String(rec.pid), state: 'gone', zone: rec.zone, launchedAt: rec.launchedAt });
  }
}
