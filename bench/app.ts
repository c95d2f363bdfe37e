// bench/app: what one `shoal app` costs to start and to serve, in CPU, on this machine.
// Boot: per round a fresh `shoal app` (real process, started as the local provider starts
// one: --dynamodb <endpoint>, no --create-tables) is timed from spawn to its first 200 from
// /readyz — wall ms, the process's CPU seconds then (/proc/<pid>/stat) and its RSS. These
// run with --warm-up 0, so the figure stays the one issue 19 targets (≤ 500 ms, ≤ 0.4 CPU-s)
// and compares with earlier runs. Then --warm-boots rounds with the default warm-up, once
// the songs below exist: what an operator's `shoal app` takes to ready, warm-up included.
// First requests: --first N requests (a rotation of the three API routes below) to a fresh
// app with --warm-up 0 and to one with the default warm-up, in blocks of 200, the app's CPU
// µs per request per block: what the warm-up saves the first real requests (CPU time, so a
// busy machine slows it but does not change it much).
// Requests: one more app serves N requests per route from a fixed-concurrency keep-alive
// client; the app's CPU time before and after gives CPU µs per request. /healthz is the
// floor (Koa and the monitors, no I/O). The same dynalite (its own process) and Redis serve
// every app.
// --warm-up N: the warmed side's count instead of shoal app's default.
//   npm run bench:app -- [--boots 5] [--warm-boots 3] [--first 1200] [--warm-up N] [--rounds 3] [--requests 2000] [--concurrency 8] [--songs 200] [--cpu-prof DIR]
// --cpu-prof DIR writes a V8 CPU profile of every boot, and one of the app that serves the
// requests (written when it stops), to DIR (open them in Chrome DevTools).
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisServer, type EmbeddedRedis } from '../lib/redis-server.js';
import { bootApp, type Boot } from './lib/app-boot.js';
import { buildOrExit } from './lib/build.js';
import type { BenchChild } from './lib/child-process.js';
import { startDynaliteProcess } from './lib/dynalite-process.js';
import { runFixed, type Call } from './lib/fixed-requests.js';
import { cpuDuring } from './lib/proc-cpu.js';
import type { AppProcess } from './lib/shoal-app-process.js';
import { load1, median, positiveInt, spread } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    boots: { type: 'string', default: '5' },
    'warm-boots': { type: 'string', default: '3' },
    first: { type: 'string', default: '1200' },
    'warm-up': { type: 'string' },
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    songs: { type: 'string', default: '200' },
    'cpu-prof': { type: 'string' },
  },
});
const bad = (msg: string): never => {
  console.error(`bench:app: ${msg}`);
  process.exit(2);
};
const boots = positiveInt('boots', values.boots!, bad);
const warmBoots = values['warm-boots'] === '0' ? 0 : positiveInt('warm-boots', values['warm-boots']!, bad);
const firstN = values.first === '0' ? 0 : positiveInt('first', values.first!, bad);
const BLOCK = 200;
const warmUpN = values['warm-up'] === undefined ? undefined : positiveInt('warm-up', values['warm-up'], bad);
const warmUpArgs = warmUpN === undefined ? [] : ['--warm-up', String(warmUpN)];
const warmUpName = warmUpN === undefined ? 'default' : `--warm-up ${warmUpN}`;
const rounds = positiveInt('rounds', values.rounds!, bad);
const requests = positiveInt('requests', values.requests!, bad);
const concurrency = positiveInt('concurrency', values.concurrency!, bad);
const songs = positiveInt('songs', values.songs!, bad);
const profileDir = values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined;
const PREFIX = 'bench-app:';
const JSON_HEADERS = { 'content-type': 'application/json' };

interface Route {
  name: string;
  call: (i: number) => Call;
}

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) });
  const out = (await res.json()) as Record<string, unknown>;
  if (res.status !== 201) throw new Error(`POST ${path}: HTTP ${res.status} ${JSON.stringify(out)}`);
  return out;
}

/** A user with a password and its bearer token: writes need one under the default --auth writes. */
async function login(url: string): Promise<string> {
  const email = `bench-${Date.now()}@example.com`;
  const password = 'bench-password';
  await post(url, '/api/v1/users', { fname: 'Bench', lname: 'App', email, password });
  return String((await post(url, '/api/v1/sessions', { email, password })).token);
}

function songBody(i: number): string {
  return JSON.stringify({ artist: `Artist ${i % 17}`, title: `Song ${i}`, instruments: ['guitar', 'drums'] });
}

/** The app's CPU µs per request over one fixed run of `n`. */
async function cpuPerRequest(app: AppProcess, route: Route, n: number): Promise<number> {
  const { cpuS } = await cpuDuring(app.pid, () => runFixed(app.url, n, concurrency, route.call));
  return (cpuS / n) * 1e6;
}

/** A fresh app's CPU µs per request over its first `firstN` requests, block by block. */
async function firstRequests(args: string[], routes: Route[]): Promise<number[]> {
  const { app } = await bootApp(args);
  try {
    const out: number[] = [];
    for (let done = 0; done < firstN; done += BLOCK) {
      const n = Math.min(BLOCK, firstN - done);
      const { cpuS } = await cpuDuring(app.pid, () => runFixed(app.url, n, concurrency, (i) => routes[(done + i) % routes.length]!.call(done + i)));
      out.push((cpuS / n) * 1e6);
    }
    return out;
  } finally {
    await app.stop();
  }
}

/** What the app's log says its warm-up did: requests, wall ms, CPU and why it ended. */
function warmUpLine(stderr: string): string {
  const m = /\{[^\n]*"msg":"(?:warmed up|warm-up)[^\n]*\}/.exec(stderr);
  if (!m) return 'no warm-up line in the log';
  const w = JSON.parse(m[0]) as { sent: number; ms: number; cpuMs: number; ended: string };
  return `${w.sent} requests in ${w.ms} ms, ${(w.cpuMs / 1000).toFixed(2)} CPU-s, ended: ${w.ended}`;
}

function printBoots(list: Boot[], what: string): void {
  console.log(`${what}: spawn → first 200 from /readyz, ${list.length} fresh processes one after another (round 1 may fill a compile cache)`);
  list.forEach((b, i) => console.log(`  round ${i + 1}: ${b.wallMs.toFixed(0)} ms wall, ${b.cpuS.toFixed(2)} CPU-s, ${b.rssMb.toFixed(0)} MB RSS`));
  const f = (k: 'wallMs' | 'cpuS' | 'rssMb', d: number) => `${median(list.map((b) => b[k])).toFixed(d)} (${spread(list.map((b) => b[k]), d)})`;
  console.log(`  median: ${f('wallMs', 0)} ms wall, ${f('cpuS', 2)} CPU-s, ${f('rssMb', 0)} MB RSS`);
}

async function main(): Promise<void> {
  const children: BenchChild[] = [];
  let redis: EmbeddedRedis | undefined;
  const stopAll = async () => {
    await Promise.all(children.map((c) => c.stop()));
    await redis?.stop();
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stopAll().then(() => process.exit(sig === 'SIGINT' ? 130 : 143)));
  try {
    redis = await startRedisServer();
    const dynamo = await startDynaliteProcess();
    children.push(dynamo);
    const common = ['--redis', redis.url, '--prefix', PREFIX, '--dynamodb', dynamo.endpoint];
    const cold = [...common, '--warm-up', '0'];
    console.log(`bench:app — node ${process.version}, ${cpus().length} cores, load average ${load1()} at the start (a shared machine: read figures beside it)`);

    // The tables, made once by an app that is not timed.
    const maker = await bootApp([...cold, '--create-tables']);
    await maker.app.stop();

    const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
    const timed: Boot[] = [];
    for (let i = 0; i < boots; i++) {
      const b = await bootApp(cold, nodeArgs);
      timed.push(b);
      await b.app.stop();
    }
    printBoots(timed, 'boot (--warm-up 0)');
    if (profileDir) console.log(`  CPU profiles of each boot (until its exit) in ${profileDir}; the serving app's is written there when it stops`);

    // Warmed below by the bench's own requests, route by route, before it measures.
    const { app } = await bootApp(cold, nodeArgs);
    children.push(app);
    const token = await login(app.url);
    const auth = { ...JSON_HEADERS, authorization: `Bearer ${token}` };
    const ids: string[] = [];
    for (let i = 0; i < songs; i++) ids.push(String((await post(app.url, '/api/v1/music', JSON.parse(songBody(i)), auth)).id));

    const routes: Route[] = [
      { name: 'GET /healthz (floor: no I/O)', call: () => ({ method: 'GET', path: '/healthz', expect: 200 }) },
      { name: 'GET /api/v1/music/:id', call: (i) => ({ method: 'GET', path: `/api/v1/music/${ids[i % ids.length]}`, expect: 200 }) },
      { name: 'GET /api/v1/music?limit=20', call: () => ({ method: 'GET', path: '/api/v1/music?limit=20', expect: 200 }) },
      { name: 'POST /api/v1/music (bearer)', call: (i) => ({ method: 'POST', path: '/api/v1/music', headers: auth, body: songBody(songs + i), expect: 201 }) },
    ];
    // warm-up: JIT, connection pools, dynalite's first reads
    for (const r of routes) await cpuPerRequest(app, r, Math.max(200, requests >> 2));
    const us = new Map<string, number[]>(routes.map((r) => [r.name, []]));
    for (let k = 0; k < rounds; k++) for (const r of routes) us.get(r.name)!.push(await cpuPerRequest(app, r, requests));

    console.log(`\nrequests: CPU µs per request in the app process, ${rounds} rounds × ${requests} requests per route, ${concurrency} keep-alive connections, monitors on, --auth writes`);
    console.log(`${'route'.padEnd(34)} ${'median µs'.padStart(10)}  rounds`);
    for (const r of routes) {
      const xs = us.get(r.name)!;
      console.log(`${r.name.padEnd(34)} ${median(xs).toFixed(0).padStart(10)}  ${spread(xs, 0)}`);
    }
    if (firstN > 0) {
      const api = routes.slice(1);
      const coldUs = await firstRequests(cold, api);
      const warmUs = await firstRequests([...common, ...warmUpArgs], api);
      console.log(`\nfirst requests of a fresh app: CPU µs per request in blocks of ${BLOCK} (${api.map((r) => r.name).join(', ')} in turn; ${concurrency} connections)`);
      console.log(`${'requests'.padEnd(12)} ${'--warm-up 0'.padStart(12)} ${warmUpName.padStart(16)}`);
      coldUs.forEach((c, i) => console.log(`${`${i * BLOCK + 1}–${Math.min((i + 1) * BLOCK, firstN)}`.padEnd(12)} ${c.toFixed(0).padStart(12)} ${warmUs[i]!.toFixed(0).padStart(16)}`));
    }
    if (warmBoots > 0) {
      const warmed: Boot[] = [];
      const said: string[] = [];
      for (let i = 0; i < warmBoots; i++) {
        // At info level the app logs what its warm-up did.
        const b = await bootApp([...common, ...warmUpArgs], [], { SHOAL_LOG_LEVEL: 'info' });
        warmed.push(b);
        said.push(warmUpLine(b.app.stderr()));
        await b.app.stop();
      }
      console.log('');
      printBoots(warmed, `boot with the warm-up (${warmUpN === undefined ? 'the default, --warm-up 1000' : warmUpName}, ${songs} songs in the table)`);
      said.forEach((line, i) => console.log(`  round ${i + 1}'s warm-up: ${line}`));
    }
    console.log(`\nload average ${load1()} at the end (${cpus().length} cores)`);
  } finally {
    await stopAll();
  }
}

buildOrExit('bench:app');
main().catch((err: Error) => {
  console.error(`bench:app failed: ${err.message}`);
  process.exit(1);
});
