// bench/loadgen: how fast `shoal load` can send, against autocannon and wrk, and how well
// it holds a requested rate. One tiny canned-response server on CPU 0 (raw TCP, so the
// server is never the bottleneck), each load tool alone on CPU 1 (taskset when present).
// Max rps: `shoal load --users C --think 0` (closed model, like the other two tools) vs
// `autocannon -c C` vs `wrk -t1 -c C` vs a closed loop on undici's Pool (the client shoal
// load replaced), median of --rounds, printed as ratios (target ≥ 1.0× autocannon). Then the
// open model at 50 % and 90 % of shoal's max: achieved vs requested rate (target within
// 2 %), median of --rounds.
//   npm run bench:loadgen -- [--rounds 3] [--seconds 5] [--connections 32]
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify, parseArgs } from 'node:util';
import { buildOrExit } from './lib/build.js';
import { ROOT } from './lib/child-process.js';
import { load1 } from './lib/stats.js';

const run = promisify(execFile);
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '32' } } });
const rounds = positive('rounds');
const seconds = positive('seconds');
const connections = positive('connections');

function positive(name: keyof typeof values): number {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench:loadgen: --${name} must be a positive integer, got ${values[name]}`);
    process.exit(2);
  }
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const hasTaskset = await run('taskset', ['-c', '0', 'true']).then(
  () => true,
  () => false,
);
/** argv pinned to one CPU when taskset is available. */
const onCpu = (cpu: number, argv: string[]) => (hasTaskset ? ['taskset', '-c', String(cpu), ...argv] : argv);

/**
 * Runs a load tool under /usr/bin/time: on a shared machine the CPU seconds a tool spends
 * per request are steadier than its requests/s, so both are reported.
 */
async function timed(argv: string[], env?: NodeJS.ProcessEnv): Promise<{ stdout: string; cpu: number }> {
  const full = ['/usr/bin/time', '-f', 'cpu %U %S', ...onCpu(1, argv)];
  const { stdout, stderr } = await run(full[0]!, full.slice(1), { timeout: (seconds + 60) * 1000, env: env ?? process.env, maxBuffer: 1 << 24 });
  const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  return { stdout, cpu: m ? Number(m[1]) + Number(m[2]) : NaN };
}

interface Measured {
  rps: number;
  /** CPU microseconds per request, start-up included. */
  cpuUs: number;
}

/**
 * The tiny server: a child process (pinned to CPU 0) answering every request head with a
 * canned 200, without an HTTP parser, so it outruns every client here.
 */
const SERVER = `
const net = require('node:net');
const RES = Buffer.from('HTTP/1.1 200 OK\\r\\ncontent-type: text/plain\\r\\ncontent-length: 2\\r\\nkeep-alive: timeout=60\\r\\n\\r\\nok');
const srv = net.createServer((s) => {
  let tail = '';
  s.setNoDelay(true);
  s.on('data', (b) => {
    const text = tail + b.toString('latin1');
    let n = 0, i = -1;
    while ((i = text.indexOf('\\r\\n\\r\\n', i + 1)) !== -1) n++;
    const last = text.lastIndexOf('\\r\\n\\r\\n');
    tail = (last === -1 ? text : text.slice(last + 4)).slice(-3);
    if (n) s.write(n === 1 ? RES : Buffer.concat(Array(n).fill(RES)));
  });
  s.on('error', () => {});
});
srv.listen(0, '127.0.0.1', () => console.log('port ' + srv.address().port));
`;

async function startServer(): Promise<{ url: string; stop(): void }> {
  const argv = onCpu(0, [process.execPath, '-e', SERVER]);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      const m = /port (\d+)/.exec(b.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`tiny server exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

async function wrk(url: string): Promise<Measured> {
  const { stdout, cpu } = await timed(['wrk', '-t1', '-c', String(connections), '-d', `${seconds}s`, url]);
  const total = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0), cpuUs: (cpu / total) * 1e6 };
}

async function autocannon(url: string): Promise<Measured> {
  const { stdout, cpu } = await timed([process.execPath, join(ROOT, 'node_modules/autocannon/autocannon.js'), '-j', '-c', String(connections), '-d', String(seconds), url]);
  const r = JSON.parse(stdout) as { requests: { total: number }; duration: number; errors: number; non2xx: number };
  if (r.errors || r.non2xx) throw new Error(`autocannon: ${r.errors} errors, ${r.non2xx} non-2xx`);
  return { rps: r.requests.total / r.duration, cpuUs: (cpu / r.requests.total) * 1e6 };
}

/** undici's Pool as a load client (bench/lib/undici-load.mjs): what shoal load's own client replaced. */
async function undici(url: string): Promise<Measured> {
  const { stdout, cpu } = await timed([process.execPath, join(ROOT, 'bench/lib/undici-load.mjs'), '--url', url, '--connections', String(connections), '--seconds', String(seconds)]);
  const r = JSON.parse(stdout) as { requests: number; failed: number; seconds: number };
  if (r.failed) throw new Error(`undici: ${r.failed} non-200 answers`);
  return { rps: r.requests / r.seconds, cpuUs: (cpu / r.requests) * 1e6 };
}

interface ShoalRun {
  total: number;
  errors: number;
  achieved: number;
  missed: number;
  durationMs: number;
  p99: number;
  cpu: number;
  capped: boolean;
}

async function shoal(url: string, tests: string, out: string, mode: string[]): Promise<ShoalRun> {
  const argv = [process.execPath, join(ROOT, 'dist/cli/shoal.js'), 'load', '--tests', tests, '--target', url, '--duration', `${seconds}s`, '--json', out, ...mode];
  const { cpu } = await timed(argv, { ...process.env, SHOAL_LOG_LEVEL: 'warn' });
  const s = JSON.parse(readFileSync(out, 'utf8'));
  return { total: s.requests.total, errors: s.requests.errors, achieved: s.rate.achieved, missed: s.requests.missed, durationMs: s.durationMs, p99: s.latency.corrected.p99, cpu, capped: s.requests.capped };
}

buildOrExit('bench:loadgen');
const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-loadgen-'));
const server = await startServer();
try {
  const tests = join(dir, 'tests.json');
  writeFileSync(tests, JSON.stringify({ version: 1, target: server.url, seed: 1, templates: [{ id: 'get', method: 'GET', path: '/' }], chains: [] }));
  const out = join(dir, 'summary.json');
  console.log(`bench:loadgen — tiny server on CPU 0, each tool alone on CPU 1${hasTaskset ? '' : ' (no taskset: unpinned)'}; load average ${load1()}; ${connections} connections, ${seconds}s × ${rounds} rounds, median`);
  const results = { shoal: [] as Measured[], autocannon: [] as Measured[], wrk: [] as Measured[], undici: [] as Measured[] };
  for (let r = 0; r < rounds; r++) {
    // rotate the order so drift on a shared machine hits every tool alike
    const order = (['shoal', 'autocannon', 'wrk', 'undici'] as const).map((_, i, a) => a[(i + r) % a.length]!);
    for (const tool of order) {
      let m: Measured;
      if (tool === 'wrk') m = await wrk(server.url);
      else if (tool === 'undici') m = await undici(server.url);
      else if (tool === 'autocannon') m = await autocannon(server.url);
      else {
        // no request cap: the closed model's default (1000/s per user) would stop a fast run early
        const s = await shoal(server.url, tests, out, ['--users', String(connections), '--think', '0s', '--max-requests', '1000000000']);
        if (s.capped) throw new Error('shoal load: the request cap ended the run early');
        if (s.errors) throw new Error(`shoal load: ${s.errors} errors`);
        m = { rps: s.total / (s.durationMs / 1000), cpuUs: (s.cpu / s.total) * 1e6 };
      }
      results[tool].push(m);
      console.log(`  round ${r + 1}  ${tool.padEnd(10)} ${m.rps.toFixed(0).padStart(6)} req/s  ${m.cpuUs.toFixed(1).padStart(5)} µs CPU/request`);
    }
  }
  const rps = (k: keyof typeof results) => median(results[k].map((m) => m.rps));
  const cpu = (k: keyof typeof results) => median(results[k].map((m) => m.cpuUs));
  const max = { shoal: rps('shoal'), autocannon: rps('autocannon'), wrk: rps('wrk') };
  console.log('');
  console.log(`max rps    shoal load ${max.shoal.toFixed(0)}   autocannon ${max.autocannon.toFixed(0)}   wrk ${max.wrk.toFixed(0)}   undici Pool ${rps('undici').toFixed(0)}`);
  const vsAc = max.shoal / max.autocannon;
  console.log(`ratio      shoal/autocannon ${vsAc.toFixed(2)}× (target ≥ 1.00×: ${vsAc >= 1 ? 'met' : 'NOT met'})   shoal/wrk ${(max.shoal / max.wrk).toFixed(2)}×`);
  console.log(
    `CPU/req    shoal load ${cpu('shoal').toFixed(1)} µs   autocannon ${cpu('autocannon').toFixed(1)} µs   wrk ${cpu('wrk').toFixed(1)} µs   undici Pool ${cpu('undici').toFixed(1)} µs  → requests per CPU-second, shoal/autocannon ${(cpu('autocannon') / cpu('shoal')).toFixed(2)}×, shoal/wrk ${(cpu('wrk') / cpu('shoal')).toFixed(2)}×`,
  );
  console.log('');
  let held = true;
  for (const share of [0.5, 0.9]) {
    const rate = Math.round(max.shoal * share);
    const runs: ShoalRun[] = [];
    for (let r = 0; r < rounds; r++) {
      const s = await shoal(server.url, tests, out, ['--rate', String(rate), '--connections', String(connections)]);
      runs.push(s);
      console.log(`  round ${r + 1}  open model at ${share * 100}%: achieved ${s.achieved.toFixed(1)}/s, ${s.total} sent, ${s.missed} missed, corrected p99 ${s.p99} ms, ${((s.cpu / s.total) * 1e6).toFixed(1)} µs CPU/request`);
    }
    const achieved = median(runs.map((s) => s.achieved));
    const dev = (100 * (achieved - rate)) / rate;
    held &&= Math.abs(dev) <= 2;
    console.log(
      `open model at ${share * 100}% of max: requested ${rate}/s, achieved ${achieved.toFixed(1)}/s (${dev >= 0 ? '+' : ''}${dev.toFixed(2)}%, target within ±2%), median ${median(runs.map((s) => s.missed))} missed of ${median(runs.map((s) => s.total))} sent, corrected p99 ${median(runs.map((s) => s.p99))} ms`,
    );
  }
  console.log(`rate held within 2%: ${held ? 'yes' : 'NO'}; load average ${load1()} at the end`);
} finally {
  server.stop();
  rmSync(dir, { recursive: true, force: true });
}
