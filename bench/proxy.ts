// bench/proxy: one backend, the same load for every target, one worker each: direct, shoal
// proxy, the undici floor (node http server + one undici Pool, nothing else), http-proxy-3
// with a keep-alive agent and without one (the seed's raw example), nginx and haproxy, and
// shoal proxy --data-plane haproxy (shoal's control plane driving its own HAProxy child), with
// its defaults and with --retry-sent off (no L7 retries: bare HAProxy's retry rules).
// Per round, targets in rotating order:
//   peak       wrk -t1 -cC (closed loop) after a 2 s warm-up: rps, p50/p99, CPU µs per request
//   fixed rate `shoal load` open model at each --rates value, the same for every target:
//              corrected p50/p99 (from the planned send time), p99 added over direct, CPU µs/request
// CPU is the target process's (and its children's) user + system time from /proc/<pid>/stat
// over the run, divided by the requests answered; for "direct" it is the backend's own.
// Then each proxy's RSS before and while holding --idle-sockets idle client sockets.
//   npm run bench:proxy -- [--rounds 3] [--seconds 5] [--rates 1000,5000] [--rate-seconds 6] [--connections 64] [--tracing-cost]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../lib/redis-server.js';
import { buildOrExit } from './lib/build.js';
import { spawnNode } from './lib/child-process.js';
import { IDLE_S, rssWithIdleSockets, SHOAL_HOLDS_IDLE_SOCKETS, treeRssKb, type IdleRss } from './lib/idle-sockets.js';
import { treeCpuTimes } from './lib/proc-cpu.js';
import { haproxyTarget, nginxTarget, nodeTarget, type Target } from './lib/proxy-targets.js';
import { openModel, type OpenModelRun } from './lib/shoal-load.js';
import { load1, median, positiveInt, spread } from './lib/stats.js';
import { runWrk } from './lib/wrk.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    rates: { type: 'string', default: '1000,5000' },
    'rate-seconds': { type: 'string', default: '6' },
    connections: { type: 'string', default: '64' },
    'idle-sockets': { type: 'string', default: '10000' },
    // shoal's proxy twice, tracing on (its default) and off (OTEL_SDK_DISABLED=true): the cost of tracing
    'tracing-cost': { type: 'boolean', default: false },
  },
});
const bad = (msg: string): never => {
  console.error(`bench:proxy: ${msg}`);
  process.exit(2);
};
const ROUNDS = positiveInt('rounds', values.rounds!, bad);
const SECONDS = positiveInt('seconds', values.seconds!, bad);
const RATES = values.rates!.split(',').map((r) => positiveInt('rates', r, bad));
const RATE_SECONDS = positiveInt('rate-seconds', values['rate-seconds']!, bad);
const CONNECTIONS = positiveInt('connections', values.connections!, bad);
const IDLE_SOCKETS = positiveInt('idle-sockets', values['idle-sockets']!, bad);
const WARMUP_SECONDS = 2;
const PATH = '/hello';
const RETRY_SENT_OFF = 'shoal+haproxy --retry-sent off';

interface Peak {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
  kernelPct: number;
}
interface AtRate extends OpenModelRun {
  cpuUs: number;
  kernelPct: number;
}
interface Samples {
  peak: Peak[];
  /** Per rate, one run per round. */
  rates: Map<number, AtRate[]>;
  rss?: { before: number; idle: IdleRss };
}

const say = (s: string) => process.stderr.write(`${s}\n`);
const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-proxy-'));
const cleanup: (() => Promise<void>)[] = [];
let loadAtStart = '';

async function main(): Promise<void> {
  const redis = await startRedisServer();
  cleanup.push(() => redis.stop());
  const backend = spawnNode(['test/fixtures/backend.mjs', '--id', 'bench', '--redis', redis.url, '--prefix', 'bench:']);
  cleanup.push(() => backend.stop());
  const b = await backend.waitForLine(/ready at (http:\/\/(\S+))/);
  const backendAddr = b[2]!;

  const targets: Target[] = [{ name: 'direct', url: b[1]!, pid: backend.pid, stop: async () => {} }];
  const add = (t: Target | undefined) => {
    if (!t) return;
    cleanup.push(() => t.stop());
    targets.push(t);
  };
  // all from plain JS (dist/ built just now): a tsx loader and its esbuild child would inflate CPU and RSS
  const shoalArgs = ['dist/cli/shoal.js', 'proxy', '--port', '0', '--admin-port', '0', '--redis', redis.url, '--prefix', 'bench:', '--log-level', 'warn', ...SHOAL_HOLDS_IDLE_SOCKETS];
  add(await nodeTarget('shoal', shoalArgs, /ready at (http:\/\/\S+) /));
  if (values['tracing-cost']) add(await nodeTarget('shoal no tracing', shoalArgs, /ready at (http:\/\/\S+) /, { OTEL_SDK_DISABLED: 'true' }));
  add(await nodeTarget('undici floor', ['bench/lib/undici-floor-proxy.mjs', '--backend', backendAddr], /listening (http:\/\/\S+)/));
  add(await nodeTarget('http-proxy-3', ['bench/lib/http-proxy-3-proxy.mjs', '--backend', backendAddr], /listening (http:\/\/\S+)/));
  // the seed system's raw example (and the DESIGN quality bar's peer): a new upstream connection per request
  add(await nodeTarget('http-proxy-3 raw', ['bench/lib/http-proxy-3-proxy.mjs', '--backend', backendAddr, '--no-agent'], /listening (http:\/\/\S+)/));
  add(await nginxTarget(dir, backendAddr));
  add(await haproxyTarget(dir, backendAddr));
  // shoal's control plane driving HAProxy (its child: CPU and RSS are counted with it)
  if (targets.some((t) => t.name === 'haproxy')) {
    const haArgs = ['dist/cli/shoal.js', 'proxy', '--data-plane', 'haproxy', '--port', '0', '--admin-port', '0', '--redis', redis.url, '--prefix', 'bench:', '--log-level', 'warn', ...SHOAL_HOLDS_IDLE_SOCKETS];
    add(await nodeTarget('shoal+haproxy', haArgs, /ready at (http:\/\/\S+) /));
    // the same without HAProxy's L7 retries (a copy of every request buffer): bare HAProxy's retry rules
    add(await nodeTarget(RETRY_SENT_OFF, [...haArgs, '--retry-sent', 'off'], /ready at (http:\/\/\S+) /));
  }

  loadAtStart = load1();
  const samples = new Map<string, Samples>(targets.map((t) => [t.name, { peak: [], rates: new Map(RATES.map((r) => [r, []])) }]));
  for (let round = 0; round < ROUNDS; round++) {
    // rotate the order so drift on a shared machine hits every target alike
    const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
    for (const t of order) {
      const s = samples.get(t.name)!;
      await runWrk({ url: t.url + PATH, seconds: WARMUP_SECONDS, connections: CONNECTIONS });
      const peak = await measured(t, async () => {
        const r = await runWrk({ url: t.url + PATH, seconds: SECONDS, connections: CONNECTIONS, latency: true });
        if (r.errors) say(`warning: ${t.name}: ${r.errors} failed requests in the peak run`);
        return { answered: r.requests, result: { rps: r.rps, p50: r.p50Ms, p99: r.p99Ms } };
      });
      s.peak.push(peak);
      say(`round ${round + 1} ${t.name.padEnd(16)} peak ${peak.rps.toFixed(0)} rps, p99 ${peak.p99.toFixed(2)} ms, ${peak.cpuUs.toFixed(1)} µs CPU/req`);
      for (const rate of RATES) {
        const r = await measured(t, async () => {
          const run = await openModel({ url: t.url, path: PATH, rate, seconds: RATE_SECONDS, connections: CONNECTIONS, dir });
          return { answered: run.total, result: run };
        });
        s.rates.get(rate)!.push(r);
        say(`round ${round + 1} ${t.name.padEnd(16)} at ${rate}/s: corrected p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms, ${r.cpuUs.toFixed(1)} µs CPU/req, ${r.missed} missed, ${r.errors} errors`);
      }
    }
  }
  for (const t of targets) {
    if (t.name === 'direct') continue;
    const before = treeRssKb(t.pid) / 1024;
    const idle = await rssWithIdleSockets(t.url, t.pid, IDLE_SOCKETS, say);
    samples.get(t.name)!.rss = { before, idle };
  }
  print(targets.map((t) => t.name), samples);
}

/** Runs `fn` and adds the target's CPU µs per answered request over it, and the kernel's share of that CPU. */
async function measured<T>(t: Target, fn: () => Promise<{ answered: number; result: T }>): Promise<T & { cpuUs: number; kernelPct: number }> {
  const a = treeCpuTimes(t.pid);
  const { answered, result } = await fn();
  const b = treeCpuTimes(t.pid);
  const user = b.user - a.user;
  const system = b.system - a.system;
  return { ...result, cpuUs: answered ? ((user + system) / answered) * 1e6 : NaN, kernelPct: (100 * system) / (user + system) };
}

function print(names: string[], samples: Map<string, Samples>): void {
  const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const of = (name: string) => samples.get(name)!;
  const shoalRps = median(of('shoal').peak.map((p) => p.rps));
  const nproc = spawnSync('nproc').stdout.toString().trim();
  console.log(`\nbench/proxy — ${new Date().toISOString()} — ${nproc} cores (load average ${loadAtStart} at the start, ${load1()} at the end), node ${process.version}, ${ROUNDS} rounds (medians; min–max in brackets), one worker per target`);
  console.log(`\npeak: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s --latency ${PATH} after a ${WARMUP_SECONDS} s warm-up (closed loop); CPU = the target process's µs per request\n`);
  console.log('| target | rps | p50 ms | p99 ms | CPU µs/request | kernel % of it | shoal ÷ target (rps) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const n of names) {
    const p = of(n).peak;
    const rps = median(p.map((x) => x.rps));
    console.log(`| ${n} | ${rps.toFixed(0)} | ${f(median(p.map((x) => x.p50)))} | ${f(median(p.map((x) => x.p99)))} | ${f(median(p.map((x) => x.cpuUs)), 1)} (${spread(p.map((x) => x.cpuUs), 1)}) | ${median(p.map((x) => x.kernelPct)).toFixed(0)} | ${f(shoalRps / rps)} |`);
  }
  for (const rate of RATES) {
    console.log(`\nfixed rate: shoal load --rate ${rate} --duration ${RATE_SECONDS}s --connections ${CONNECTIONS} (open model; latency from the planned send time)\n`);
    console.log('| target | p50 ms | p99 ms | p99 added ms | CPU µs/request | missed + errors (all rounds) |');
    console.log('|---|---:|---:|---:|---:|---:|');
    const direct = of('direct').rates.get(rate)!;
    for (const n of names) {
      const r = of(n).rates.get(rate)!;
      // paired per round: the same minute's direct run is the baseline
      const added = n === 'direct' ? '-' : `${f(median(r.map((x, i) => x.p99Ms - direct[i]!.p99Ms)))} (${spread(r.map((x, i) => x.p99Ms - direct[i]!.p99Ms), 2)})`;
      const failed = r.reduce((a, x) => a + x.missed + x.errors, 0);
      console.log(`| ${n} | ${f(median(r.map((x) => x.p50Ms)))} | ${f(median(r.map((x) => x.p99Ms)))} | ${added} | ${f(median(r.map((x) => x.cpuUs)), 1)} (${spread(r.map((x) => x.cpuUs), 1)}) | ${failed} |`);
    }
  }
  summary(names, samples);
  console.log(`\nRSS of each proxy process (with its children) before and while holding ${IDLE_SOCKETS} idle client sockets, after the runs above\n`);
  console.log(`| target | RSS before MB | RSS with idle sockets MB | the same after ${IDLE_S} s idle MB |`);
  console.log('|---|---:|---:|---:|');
  for (const n of names) {
    const r = of(n).rss;
    if (r) console.log(`| ${n} | ${r.before.toFixed(0)} | ${r.idle.soon.toFixed(0)} | ${r.idle.idle.toFixed(0)} |`);
  }
}

/** The two questions, answered from the medians above: shoal+haproxy against bare HAProxy, the Node plane against nginx. */
function summary(names: string[], samples: Map<string, Samples>): void {
  const of = (name: string) => samples.get(name);
  const peak = (name: string, k: 'rps' | 'p99' | 'cpuUs') => median(of(name)!.peak.map((p) => p[k]));
  console.log('\nsummary (medians of the peak runs; p99 at each fixed rate paired per round)\n');
  if (names.includes('haproxy')) {
    for (const name of ['shoal+haproxy', RETRY_SENT_OFF].filter((n) => names.includes(n))) {
      const rates = RATES.map((rate) => {
        const a = of(name)!.rates.get(rate)!;
        const b = of('haproxy')!.rates.get(rate)!;
        return `${rate}/s ${median(a.map((x, i) => x.p99Ms - b[i]!.p99Ms)).toFixed(2)} ms`;
      });
      console.log(`- ${name} ÷ haproxy: ${(peak(name, 'rps') / peak('haproxy', 'rps')).toFixed(2)}× rps; p99 delta at peak ${(peak(name, 'p99') - peak('haproxy', 'p99')).toFixed(2)} ms, at ${rates.join(', at ')}`);
    }
  }
  if (names.includes('nginx')) {
    console.log(`- shoal (node) ÷ nginx: ${(peak('shoal', 'rps') / peak('nginx', 'rps')).toFixed(2)}× rps; shoal ${peak('shoal', 'cpuUs').toFixed(1)} CPU µs/request, nginx ${peak('nginx', 'cpuUs').toFixed(1)}`);
  }
}

try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' });
} catch (err) {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    say('bench:proxy: wrk not found: apt-get install wrk');
    process.exit(1);
  }
}
buildOrExit('bench:proxy');
const stopAll = async () => {
  for (const stop of cleanup.reverse()) await stop().catch(() => {});
  cleanup.length = 0;
  rmSync(dir, { recursive: true, force: true });
};
// Ctrl-C or a kill stops every process the bench started, not only the bench
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stopAll().then(() => process.exit(sig === 'SIGINT' ? 130 : 143)));
try {
  await main();
} catch (err) {
  say(`bench:proxy failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
