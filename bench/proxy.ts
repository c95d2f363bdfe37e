// bench/proxy: one run, one backend, the same wrk settings for every target, one worker each:
// direct, shoal proxy, http-proxy-3 with a keep-alive agent and without one (the seed's raw example), nginx and haproxy. Prints peak rps,
// p50/p99 and the ratio to shoal; p99 added over direct at half shoal's peak rate (wrk paced
// with a Lua delay); and each proxy's RSS before and while holding 10k idle client sockets.
//   npm run bench:proxy          (node --import tsx bench/proxy.ts)
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { freePort } from '../lib/free-port.js';
import { startRedisServer } from '../lib/redis-server.js';
import { ROOT, spawnNode, type BenchChild } from './lib/child-process.js';

const WRK = { threads: 1, connections: 64, seconds: Number(process.env.BENCH_SECONDS ?? 8), warmup: 2 };
const HALF_RATE_SECONDS = 6;
const IDLE_SOCKETS = 10_000;
const PATH = '/hello';

interface Target {
  name: string;
  url: string;
  pid?: number;
  stop(): Promise<void>;
}
interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  halfP99?: number;
  rssMb?: number;
  baseRssMb?: number;
  halfRps?: number;
}

const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-proxy-'));
const children: (() => Promise<void>)[] = [];
const say = (s: string) => process.stderr.write(`${s}\n`);

async function main(): Promise<void> {
  const redis = await startRedisServer();
  children.push(() => redis.stop());
  const backend = spawnNode(['test/fixtures/backend.mjs', '--id', 'bench', '--redis', redis.url, '--prefix', 'bench:']);
  children.push(() => backend.stop());
  const b = await backend.waitForLine(/ready at (http:\/\/(\S+))/);
  const backendAddr = b[2]!;
  const [bHost, bPort] = backendAddr.split(':') as [string, string];

  const targets: Target[] = [{ name: 'direct', url: b[1]!, stop: async () => {} }];
  // from dist/, built just now: a tsx loader (and its esbuild child) would inflate the RSS figures
  say('building dist/ (tsc)…');
  spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
  targets.push(await nodeTarget('shoal', ['dist/cli/shoal.js', 'proxy', '--port', '0', '--admin-port', '0', '--redis', redis.url, '--prefix', 'bench:', '--log-level', 'warn'], /ready at (http:\/\/\S+) /));
  targets.push(await nodeTarget('http-proxy-3', ['--input-type=module', '-e', httpProxy3Script(backendAddr, true)], /listening (http:\/\/\S+)/));
  // the seed system's raw example (and the DESIGN quality bar's peer): no agent, a new upstream connection per request
  targets.push(await nodeTarget('http-proxy-3 raw', ['--input-type=module', '-e', httpProxy3Script(backendAddr, false)], /listening (http:\/\/\S+)/));
  const nginx = await nginxTarget(bHost, bPort);
  if (nginx) targets.push(nginx);
  const haproxy = await haproxyTarget(bHost, bPort);
  if (haproxy) targets.push(haproxy);

  const rows: Row[] = [];
  for (const t of targets) {
    await wrk(t.url, WRK.warmup);
    const r = await wrk(t.url, WRK.seconds);
    rows.push({ name: t.name, ...r });
    say(`peak  ${t.name.padEnd(16)} ${r.rps.toFixed(0)} rps  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms`);
  }
  const shoal = rows.find((r) => r.name === 'shoal')!;
  const rate = Math.round(shoal.rps / 2);
  for (const t of targets) {
    const row = rows.find((r) => r.name === t.name)!;
    const half = await paced(t.url, rate, HALF_RATE_SECONDS);
    row.halfP99 = half.p99;
    row.halfRps = half.rps;
    if (t.pid) {
      row.baseRssMb = treeRssKb(t.pid) / 1024;
      row.rssMb = await rssWithIdleSockets(t.url, t.pid, IDLE_SOCKETS);
    }
    say(`half  ${t.name.padEnd(16)} p99 ${row.halfP99.toFixed(2)} ms at ${half.rps.toFixed(0)} rps${row.rssMb ? `, RSS ${row.baseRssMb!.toFixed(0)} → ${row.rssMb.toFixed(0)} MB with ${IDLE_SOCKETS} idle sockets` : ''}`);
  }
  print(rows, rate);
}

function print(rows: Row[], rate: number): void {
  const shoal = rows.find((r) => r.name === 'shoal')!;
  const direct = rows.find((r) => r.name === 'direct')!;
  const f = (n: number | undefined, d = 2) => (n === undefined ? '-' : n.toFixed(d));
  console.log(`\nbench/proxy — ${new Date().toISOString()} — ${spawnSync('nproc').stdout.toString().trim()} cores, node ${process.version}`);
  console.log(`wrk -t${WRK.threads} -c${WRK.connections} -d${WRK.seconds}s ${PATH} (after a ${WRK.warmup}s warm-up); half rate: ${rate} rps paced by wrk's Lua delay() for ${HALF_RATE_SECONDS}s; one worker each\n`);
  console.log('| target | rps | p50 ms | p99 ms | shoal ÷ target (rps) | p99 at half rate ms | p99 added ms | RSS before → with 10k idle sockets |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const added = r.name === 'direct' || r.halfP99 === undefined ? undefined : r.halfP99 - direct.halfP99!;
    console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${f(r.p50)} | ${f(r.p99)} | ${(shoal.rps / r.rps).toFixed(2)} | ${f(r.halfP99)} | ${f(added)} | ${r.rssMb ? `${r.baseRssMb!.toFixed(0)} → ${r.rssMb.toFixed(0)} MB` : '-'} |`);
  }
}

async function nodeTarget(name: string, args: string[], ready: RegExp): Promise<Target> {
  const c: BenchChild = spawnNode(args);
  children.push(() => c.stop());
  const m = await c.waitForLine(ready);
  return { name, url: m[1]!, pid: c.pid, stop: () => c.stop() };
}

function httpProxy3Script(backend: string, keepAlive: boolean): string {
  return `
import http from 'node:http';
import { createProxyServer } from 'http-proxy-3';
const agent = ${keepAlive ? 'new http.Agent({ keepAlive: true, maxSockets: 128 })' : 'undefined'};
const proxy = createProxyServer({ target: 'http://${backend}', agent, xfwd: true });
proxy.on('error', (e, req, res) => { if (res.writeHead) { res.writeHead(502); res.end(); } else res.destroy(); });
const s = http.createServer((req, res) => proxy.web(req, res));
s.maxConnections = 20000;
s.listen(0, '127.0.0.1', () => console.log('listening http://127.0.0.1:' + s.address().port));`;
}

/** Installs the Debian package if missing (root only); returns false with a clear line otherwise. */
function ensure(bin: string, pkg: string): boolean {
  const has = () => spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`]).status === 0;
  if (has()) return true;
  say(`${bin}: not installed, trying apt-get install -y ${pkg}`);
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  // the package's service may have been started on its default port: stop it, we run our own
  for (const pidFile of [`/run/${bin}.pid`]) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
    } catch {
      // not started
    }
  }
  if (r.status === 0 && has()) return true;
  say(`SKIP ${bin}: apt-get install ${pkg} failed (not root or no network); install it to compare`);
  return false;
}

async function daemonTarget(name: string, cmd: string, args: string[], port: number): Promise<Target> {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  };
  children.push(stop);
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${name} did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name, url: `http://127.0.0.1:${port}`, pid: child.pid, stop };
}

async function nginxTarget(host: string, port: string): Promise<Target | undefined> {
  if (!ensure('nginx', 'nginx-light')) return undefined;
  const p = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `worker_processes 1; daemon off; master_process off; pid ${dir}/nginx.pid; error_log stderr warn;
worker_rlimit_nofile 20000;
events { worker_connections 16384; }
http { access_log off; client_body_temp_path ${dir}/nb; proxy_temp_path ${dir}/np; fastcgi_temp_path ${dir}/nf; uwsgi_temp_path ${dir}/nu; scgi_temp_path ${dir}/ns;
  upstream app { server ${host}:${port}; keepalive 64; }
  server { listen 127.0.0.1:${p}; location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } } }
`);
  return daemonTarget('nginx', spawnSync('sh', ['-c', 'command -v nginx || echo /usr/sbin/nginx']).stdout.toString().trim(), ['-c', conf, '-p', dir], p);
}

async function haproxyTarget(host: string, port: string): Promise<Target | undefined> {
  if (!ensure('haproxy', 'haproxy')) return undefined;
  const p = await freePort();
  const conf = join(dir, 'haproxy.cfg');
  writeFileSync(conf, `global
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
  bind 127.0.0.1:${p}
  default_backend b
backend b
  http-reuse always
  server s1 ${host}:${port}
`);
  return daemonTarget('haproxy', spawnSync('sh', ['-c', 'command -v haproxy || echo /usr/sbin/haproxy']).stdout.toString().trim(), ['-f', conf, '-db'], p);
}

const run = promisify(execFile);

/** Peak throughput: wrk, closed loop, with its latency distribution. */
async function wrk(url: string, seconds: number): Promise<{ rps: number; p50: number; p99: number }> {
  const { stdout } = await run('wrk', ['-t', String(WRK.threads), '-c', String(WRK.connections), '-d', `${seconds}s`, '--latency', url + PATH], { timeout: (seconds + 30) * 1000 });
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  if (errors) say(`warning: ${url}: ${errors[1]} non-2xx answers`);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0), p50: latencyMs(stdout, '50'), p99: latencyMs(stdout, '99') };
}

/** A percentile from wrk's --latency distribution, in ms. */
function latencyMs(stdout: string, pct: string): number {
  const m = new RegExp(`\\s${pct}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

/**
 * Paced load at about `rate` rps: wrk's Lua delay() spaces each connection's requests so
 * the whole run offers `rate`; wrk times each request in microseconds. Returns p99 in ms
 * and the rate actually reached.
 */
async function paced(url: string, rate: number, seconds: number): Promise<{ p99: number; rps: number }> {
  const delayMs = Math.max(1, Math.round((WRK.connections * 1000) / rate));
  const script = join(dir, `delay-${delayMs}.lua`);
  writeFileSync(script, `function delay()\n  return ${delayMs}\nend\n`);
  const { stdout } = await run('wrk', ['-t', String(WRK.threads), '-c', String(WRK.connections), '-d', `${seconds}s`, '--latency', '-s', script, url + PATH], { timeout: (seconds + 30) * 1000 });
  return { p99: latencyMs(stdout, '99'), rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0) };
}

/** RSS (MB) of the process and its children while `n` idle client sockets are held open. */
async function rssWithIdleSockets(url: string, pid: number, n: number): Promise<number> {
  const u = new URL(url);
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < n; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, n - i) }, () => new Promise<void>((resolve) => {
          const s = connect({ host: u.hostname, port: Number(u.port) }, () => resolve());
          s.on('error', () => resolve());
          sockets.push(s);
        })),
      );
    }
    await new Promise((r) => setTimeout(r, 1000)); // let the server accept and settle
    const open = sockets.filter((s) => !s.destroyed).length;
    if (open < n) say(`note: only ${open} of ${n} idle sockets stayed open against ${url}`);
    return treeRssKb(pid) / 1024;
  } finally {
    for (const s of sockets) s.destroy();
  }
}

function treeRssKb(pid: number): number {
  const rss = (p: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
  let kb = rss(pid);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid === pid) kb += rss(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return kb;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' });
} catch (err) {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    say('wrk not found: apt-get install wrk');
    process.exit(1);
  }
}
try {
  await main();
} finally {
  for (const stop of children.reverse()) await stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
