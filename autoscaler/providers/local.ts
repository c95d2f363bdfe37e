import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Fleet, Server } from '../../fleet/index.js';
import { ShoalError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { pidAlive as alive, signalGroup as signal, waitGone } from '../../lib/process.js';
import type { Provider } from './provider.js';

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
  /**
   * The process whose exit stops the app servers (they watch it): this autoscaler by
   * default; under `shoal up` the stack's supervisor, so a restarted autoscaler finds
   * its servers still serving and adopts them, as one would EC2 instances.
   */
  ownerPid?: number;
  log: Logger;
}

// The child waits on its stdin until its `launching` entry is written, then becomes the app
// (exec keeps the pid), so the entry always exists first and records the real pid.
const GATE = 'read -r _ && exec "$0" "$@"';

/** App servers as child processes on loopback, each in its own process group. */
export class LocalProvider implements Provider {
  readonly name = 'local';
  private readonly children = new Map<string, ChildProcess>();
  private readonly host = hostname();

  constructor(private readonly o: LocalProviderOptions) {}

  async launch(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await this.launchOne());
    return ids;
  }

  private async launchOne(): Promise<string> {
    const id = `local-${randomUUID().slice(0, 8)}`;
    const [cmd, ...args] = this.o.command ?? [process.execPath, SHOAL_BIN, 'app', '--port', '0', ...this.appFlags()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SHOAL_SERVER_ID: id,
      REDIS_URL: this.o.redisUrl,
      SHOAL_PREFIX: this.o.prefix,
      SHOAL_APP_PROVIDER: this.name,
      SHOAL_PARENT_PID: String(this.o.ownerPid ?? process.pid),
    };
    if (this.o.dynamodb && /^https?:/.test(this.o.dynamodb)) env.DYNAMODB_ENDPOINT = this.o.dynamodb;
    const child = spawn('/bin/sh', ['-c', GATE, cmd!, ...args], { env, detached: true, stdio: ['pipe', 'pipe', 'inherit'] });
    child.on('error', (err) => this.o.log.error({ id, err: err.message }, 'could not start app server'));
    child.stdin!.on('error', () => {});
    const pid = child.pid;
    if (!pid) throw new ShoalError('SHOAL_ERR_LAUNCH', `could not start ${cmd}`);
    this.children.set(id, child);
    child.once('exit', (code, signal) => {
      this.children.delete(id);
      this.o.log.info({ id, pid, code, signal }, 'app server exited');
    });
    // The app prints one line when ready; the rest of its stdout is not ours to show.
    child.stdout!.on('data', (b: Buffer) => {
      const line = b.toString().trim();
      if (line) this.o.log.debug({ id, line }, 'app server output');
    });
    try {
      await this.o.fleet.registry.launching(id, { provider: this.name, instanceId: String(pid), host: this.host });
    } catch (err) {
      child.kill('SIGKILL');
      throw new ShoalError('SHOAL_ERR_LAUNCH', `could not register ${id}: ${(err as Error).message}`);
    }
    child.stdin!.end('go\n');
    this.o.log.info({ id, pid }, 'launched app server');
    return id;
  }

  private appFlags(): string[] {
    const f: string[] = [];
    if (this.o.dynamodb) f.push('--dynamodb', this.o.dynamodb);
    if (this.o.tablePrefix) f.push('--table-prefix', this.o.tablePrefix);
    return f;
  }

  async terminate(servers: readonly Server[]): Promise<void> {
    await Promise.all(servers.map((s) => this.stopOne(s)));
  }

  private async stopOne(s: Server): Promise<void> {
    const child = this.children.get(s.id);
    const pid = child?.pid ?? this.adoptable(s);
    if (!pid) return;
    const exited = child ? once(child, 'exit').then(() => true) : waitGone(pid, this.o.killTimeoutMs + 1000);
    signal(pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([exited, new Promise<boolean>((ok) => (timer = setTimeout(() => ok(false), this.o.killTimeoutMs)))]);
    clearTimeout(timer);
    if (!inTime) {
      this.o.log.warn({ id: s.id, pid }, 'app server did not stop in time: SIGKILL');
      signal(pid, 'SIGKILL');
      if (child) await exited;
    }
  }

  async list(known: readonly Server[]): Promise<string[]> {
    const ids = new Set(this.children.keys());
    for (const s of known) if (!ids.has(s.id) && this.adoptable(s)) ids.add(s.id);
    return [...ids];
  }

  /** Stops every child this process started: they cannot outlive their parent anyway. */
  async close(): Promise<void> {
    const mine: Server[] = [...this.children.keys()].map((id) => ({ id }) as Server);
    await this.terminate(mine);
  }

  /** The pid of a server an earlier leader started on this host, if it is still running. */
  private adoptable(s: Server): number | undefined {
    const pid = Number(s.instanceId);
    if (s.provider !== this.name || s.host !== this.host || !Number.isInteger(pid) || pid <= 0) return undefined;
    return alive(pid) ? pid : undefined;
  }
}
