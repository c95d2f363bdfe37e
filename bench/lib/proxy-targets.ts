import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canConnect } from '../../lib/can-connect.js';
import { freePort } from '../../lib/free-port.js';
import { spawnNode } from './child-process.js';

/** One thing bench/proxy sends traffic to: a proxy in front of the backend, or the backend itself. */
export interface Target {
  name: string;
  url: string;
  /** The process whose CPU and RSS are measured (with its direct children). */
  pid: number;
  stop(): Promise<void>;
}

const say = (s: string) => process.stderr.write(`${s}\n`);

/** A node process that prints a line matching `ready` (its URL in group 1) when it listens. */
export async function nodeTarget(name: string, args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<Target> {
  const c = spawnNode(args, env);
  try {
    const m = await c.waitForLine(ready);
    return { name, url: m[1]!, pid: c.pid, stop: () => c.stop() };
  } catch (err) {
    await c.stop();
    throw err;
  }
}

/** Installs the Debian package if missing (root only); returns false with a clear line otherwise. */
export function ensure(bin: string, pkg: string): boolean {
  const has = () => spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`]).status === 0;
  if (has()) return true;
  say(`${bin}: not installed, trying apt-get install -y ${pkg}`);
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  // the package's service may have been started on its default port: stop it, we run our own
  try {
    process.kill(Number(readFileSync(`/run/${bin}.pid`, 'utf8').trim()), 'SIGTERM');
  } catch {
    // not started
  }
  if (r.status === 0 && has()) return true;
  say(`SKIP ${bin}: apt-get install ${pkg} failed (not root or no network); install it to compare`);
  return false;
}

const binary = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin} || echo /usr/sbin/${bin}`]).stdout.toString().trim();

async function daemonTarget(name: string, cmd: string, args: string[], port: number): Promise<Target> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4096)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  };
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`${name} did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name, url: `http://127.0.0.1:${port}`, pid: child.pid!, stop };
}

/** nginx, one worker, no master, upstream keep-alive; undefined (with a line) if it cannot be installed. */
export async function nginxTarget(dir: string, backend: string): Promise<Target | undefined> {
  if (!ensure('nginx', 'nginx-light')) return undefined;
  const p = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `worker_processes 1; daemon off; master_process off; pid ${dir}/nginx.pid; error_log stderr warn;
worker_rlimit_nofile 20000;
events { worker_connections 16384; }
http { access_log off; client_body_temp_path ${dir}/nb; proxy_temp_path ${dir}/np; fastcgi_temp_path ${dir}/nf; uwsgi_temp_path ${dir}/nu; scgi_temp_path ${dir}/ns;
  upstream app { server ${backend}; keepalive 64; }
  server { listen 127.0.0.1:${p}; location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } } }
`);
  return daemonTarget('nginx', binary('nginx'), ['-c', conf, '-p', dir], p);
}

/** bench:proxy's bare HAProxy: one worker, keep-alive both sides, X-Forwarded-For, one static server. */
export function bareHaproxyConfig(port: number, backend: string): string {
  return `global
  nbthread 1
  # haproxy sizes maxconn from the fd limit (two per proxied connection)
  fd-hard-limit 20000
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  option forwardfor
frontend f
  bind 127.0.0.1:${port}
  default_backend b
backend b
  http-reuse always
  server s1 ${backend}
`;
}

/** haproxy, one thread, connection reuse; undefined (with a line) if it cannot be installed. */
export async function haproxyTarget(dir: string, backend: string): Promise<Target | undefined> {
  if (!ensure('haproxy', 'haproxy')) return undefined;
  const p = await freePort();
  const conf = join(dir, 'haproxy.cfg');
  writeFileSync(conf, bareHaproxyConfig(p, backend));
  return daemonTarget('haproxy', binary('haproxy'), ['-f', conf, '-db'], p);
}
