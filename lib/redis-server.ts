import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ShoalError } from './errors.js';
import { freePort } from './free-port.js';

export interface EmbeddedRedis {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code, or the signal's name, when the process ends. */
  exited: Promise<number | string>;
  stop(): Promise<void>;
}

export interface EmbeddedRedisOptions {
  port?: number;
  /** Binary to run; `redis-server` from the Debian package by default. */
  bin?: string;
  /** Run detached in its own process group (so a terminal's Ctrl-C reaches only the supervisor). */
  detached?: boolean;
  /**
   * Persist here: an append-only file fsynced every second, so a restart (crash, kill)
   * finds the fleet as it was, its counters included. Absent: nothing persists (tests).
   */
  dir?: string;
  /** Redis's own log goes here instead of to a pipe. */
  logFile?: string;
  /** Require this password (`requirepass`), given on stdin so it is on no command line. */
  password?: string;
  /** Start as a replica of the primary on this loopback port (`--redis-ha`). */
  replicaOf?: number;
}

/** Starts a `redis-server` child on loopback and waits until it accepts commands. */
export async function startRedisServer(opts: EmbeddedRedisOptions = {}): Promise<EmbeddedRedis> {
  const port = opts.port || (await freePort());
  const bin = opts.bin ?? process.env.SHOAL_REDIS_SERVER ?? 'redis-server';
  // Without a data dir, a private scratch dir, never the caller's cwd: Redis loads any
  // dump.rdb it finds in its dir at start, and a replica's full sync writes one there — so a
  // replica started from a checkout left a dump.rdb that every later Redis started there
  // loaded ("restarted empty" was not).
  const scratch = opts.dir ? undefined : mkdtempSync(join(tmpdir(), 'shoal-redis-'));
  const persistence = opts.dir ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', opts.dir] : ['--appendonly', 'no', '--dir', scratch!];
  if (opts.dir) mkdirSync(opts.dir, { recursive: true });
  // `-` reads more configuration from stdin, after the arguments: the password goes there.
  const args = ['-', '--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--protected-mode', 'yes', '--loglevel', 'warning'];
  if (opts.replicaOf) args.push('--replicaof', '127.0.0.1', String(opts.replicaOf));
  // a replica promoted by Sentinel needs the password to talk to the others
  const secret = opts.password ? `requirepass "${opts.password.replace(/["\\]/g, '\\$&')}"\nmasterauth "${opts.password.replace(/["\\]/g, '\\$&')}"\n` : '';
  const removeScratch = () => scratch && rmSync(scratch, { recursive: true, force: true });
  try {
    const redis = await spawnRedis(bin, args, port, secret, opts);
    void redis.exited.then(removeScratch);
    return redis;
  } catch (err) {
    removeScratch();
    throw err;
  }
}

/**
 * Runs a redis-server or redis-sentinel child on loopback (`stdin` is more configuration,
 * after the arguments) and waits until it answers PING.
 */
export async function spawnRedis(bin: string, args: string[], port: number, stdin: string, opts: Pick<EmbeddedRedisOptions, 'detached' | 'logFile' | 'password'>): Promise<EmbeddedRedis> {
  if (opts.logFile) {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    args = [...args, '--logfile', opts.logFile];
  }
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: opts.detached ?? false });
  child.stdin!.on('error', () => {});
  child.stdin!.end(stdin);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  let output = '';
  const collect = (b: Buffer) => {
    output = (output + b.toString()).slice(-4000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new ShoalError('SHOAL_ERR_NO_REDIS', `${bin} not found: install the Debian package ${basename(bin)} (apt-get install ${basename(bin)}) or pass --redis URL`)
          : err,
      );
    });
    void exited.then((code) => reject(new ShoalError('SHOAL_ERR_REDIS_EXIT', `${bin} exited with ${code}: ${(output || tail(opts.logFile)).trim()}`)));
  });
  await Promise.race([waitForOwnServer(port, child.pid!, opts.password), failed]);
  child.stdout!.removeListener('data', collect);
  child.stderr!.removeListener('data', collect);
  child.stdout!.resume();
  child.stderr!.resume();
  failed.catch(() => {});
  return {
    url: opts.password ? `redis://:${encodeURIComponent(opts.password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function tail(file: string | undefined): string {
  if (!file) return '';
  try {
    return readFileSync(file, 'utf8').slice(-1000);
  } catch {
    return '';
  }
}

/**
 * Waits until the server on `port` answers and is our child: `INFO server`'s process_id is
 * its pid. A PING alone can be answered by another Redis that took the port (a free port
 * picked, then taken by someone else before our child bound it), and our child, failing to
 * bind, would be taken for started — its clients quietly talking to someone else's data.
 */
async function waitForOwnServer(port: number, pid: number, password: string | undefined, timeoutMs = 10_000): Promise<void> {
  const { createConnection } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host: '127.0.0.1' });
      s.setTimeout(500, () => s.destroy());
      const auth = password ? `AUTH ${JSON.stringify(password)}\r\n` : '';
      let answer = '';
      s.once('connect', () => s.write(`${auth}INFO server\r\n`));
      s.on('data', (d) => {
        answer += d.toString();
        // an error reply (-LOADING, -NOAUTH …): not ready yet
        if (/(^|\r\n)-/.test(answer)) {
          s.destroy();
          return resolve(false);
        }
        const m = /\r\nprocess_id:(\d+)\r\n/.exec(answer);
        if (!m) return;
        s.destroy();
        resolve(Number(m[1]) === pid);
      });
      s.once('error', () => resolve(false));
      s.once('close', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new ShoalError('SHOAL_ERR_REDIS_START', `redis-server on port ${port} (pid ${pid}) did not answer within ${timeoutMs} ms`);
}
