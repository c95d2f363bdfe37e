// bench/monitors: what the request and memory monitors cost an app server.
// First in isolation, in this process: the request monitor middleware's per-request work
// (CPU ns, against a pass-through middleware), one flush (snapshot + pipeline) and one memory
// sample (CPU µs, client side). Then end to end: per round a fresh pair of real `shoal app` processes on one Redis and one dynalite,
// identical but for --no-monitors; wrk loads one at a time, alternating which goes first,
// so drift on a shared machine hits both sides alike. Prints requests/s with monitors on
// and off and their ratio (target ≥ 0.97).
//   npm run bench:monitors -- [--rounds 5] [--seconds 5] [--connections 16] [--scenarios music,healthz] [--aa] [--micro-only] [--tracing-cost]
// --aa runs monitors on both sides: the ratios it prints are the machine's noise floor.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { connectRedis, Fleet } from '../fleet/index.js';
import { startRedisServer, type EmbeddedRedis } from '../lib/redis-server.js';
import { buildOrExit } from './lib/build.js';
import type { BenchChild } from './lib/child-process.js';
import { startDynaliteProcess } from './lib/dynalite-process.js';
import { monitorCost, type MonitorCost } from './lib/monitor-cost.js';
import { startAppProcess, type AppProcess } from './lib/shoal-app-process.js';
import { cpuDuring } from './lib/proc-cpu.js';
import { load1, median, positiveInt } from './lib/stats.js';
import { runWrk } from './lib/wrk.js';

const TARGET = 0.97;
const PREFIX = 'bench:';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    songs: { type: 'string', default: '100' },
    scenarios: { type: 'string', default: 'music,healthz' },
    aa: { type: 'boolean', default: false },
    'micro-only': { type: 'boolean', default: false },
    // the cost of tracing instead: both sides monitored, the "off" side with OTEL_SDK_DISABLED=true
    'tracing-cost': { type: 'boolean', default: false },
  },
});
const bad = (msg: string): never => {
  console.error(`bench:monitors: ${msg}`);
  process.exit(2);
};
const rounds = positiveInt('rounds', values.rounds!, bad);
const seconds = positiveInt('seconds', values.seconds!, bad);
const connections = positiveInt('connections', values.connections!, bad);
const songs = positiveInt('songs', values.songs!, bad);
const aa = values.aa!;
const tracingCost = values['tracing-cost']!;
/** Requests per micro-benchmark round, and flushes timed. */
const MICRO = { requests: 1_000_000, flushes: 2000 };

interface Scenario {
  key: string;
  name: string;
  /** Paths wrk picks from at random; relative to each app's URL. */
  paths: string[];
}

async function seed(app: AppProcess, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${app.url}/api/v1/music`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ artist: `Artist ${i % 17}`, title: `Song ${i}`, instruments: ['guitar', 'drums'] }),
    });
    if (res.status !== 201) throw new Error(`seeding a song: HTTP ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

interface Measurement {
  rps: number;
  /** The app process's CPU time per request, in microseconds. */
  cpuUs: number;
}

/** One wrk run; a measured run (`clean`) with any failed request is refused, a warm-up's failures are not. */
async function measure(app: AppProcess, sc: Scenario, secs: number, clean = true): Promise<Measurement> {
  const { result: r, cpuS: cpu } = await cpuDuring(app.pid, () => runWrk({ url: app.url, seconds: secs, connections, paths: sc.paths }));
  if (clean && r.errors > 0) throw new Error(`${sc.name}: ${r.errors} failed requests out of ${r.requests} — not a clean measurement`);
  return { rps: r.rps, cpuUs: (cpu / r.requests) * 1e6 };
}

/** The monitored side really wrote its hash and memory field; the other side wrote nothing. */
async function checkMonitored(fleet: Fleet, on: AppProcess, off: AppProcess): Promise<void> {
  // the monitors flush once a second: give the last flush a moment to land
  const deadline = Date.now() + 5000;
  let onStats = await fleet.requests.read(on.address);
  while ((onStats?.total ?? 0) === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    onStats = await fleet.requests.read(on.address);
  }
  const memory = await fleet.memory.readAll();
  if (!onStats?.total || !memory.has(on.address)) throw new Error('the monitors-on app wrote no request or memory reading');
  if (!aa && !tracingCost && ((await fleet.requests.read(off.address)) || memory.has(off.address))) throw new Error('the --no-monitors app wrote monitor data');
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
    const fleet = new Fleet(connectRedis(redis.url), PREFIX);
    const micro = await monitorCost(fleet, { rounds, ...MICRO });
    printMicro(micro);
    if (values['micro-only']) {
      fleet.redis.disconnect();
      return;
    }
    const dynamo = await startDynaliteProcess();
    children.push(dynamo);
    // --auth off: the bench seeds songs over HTTP and measures the monitors, not logins.
    const common = ['--redis', redis.url, '--prefix', PREFIX, '--dynamodb', dynamo.endpoint, '--create-tables', '--auth', 'off'];
    const start = async (args: string[], env: Record<string, string> = {}) => {
      const app = await startAppProcess(args, [], env);
      children.push(app);
      return app;
    };
    const stop = async (app: AppProcess) => {
      await app.stop();
      children.splice(children.indexOf(app), 1);
    };

    // the songs go in through a third server, so neither measured process is warmer
    const seeder = await start([...common, '--no-monitors']);
    const ids = await seed(seeder, songs);
    await stop(seeder);

    const wanted = new Set(values.scenarios!.split(','));
    const scenarios: Scenario[] = [
      { key: 'music', name: 'GET /api/v1/music/:id (dynalite)', paths: ids.map((id) => `/api/v1/music/${id}`) },
      { key: 'healthz', name: 'GET /healthz (no I/O: worst case for the monitors)', paths: ['/healthz'] },
    ].filter((sc) => wanted.has(sc.key));
    if (scenarios.length === 0) throw new Error(`--scenarios: expected music and/or healthz, got ${values.scenarios}`);
    const offArgs = aa || tracingCost ? common : [...common, '--no-monitors'];
    const offEnv: Record<string, string> = tracingCost ? { OTEL_SDK_DISABLED: 'true' } : {};
    console.log(
      `bench:monitors — load average ${load1()} on ${cpus().length} cores — ${rounds} rounds × ${seconds} s per side, a fresh pair of app processes per round, wrk -t1 -c${connections}, loopback` +
        (aa ? '\nA/A run: both sides have monitors ON — the ratios show the noise floor of this machine' : '') +
        (tracingCost ? '\ntracing cost run: both sides have monitors ON; "on" traces (the default), "off" runs with OTEL_SDK_DISABLED=true' : ''),
    );

    const summary: { name: string; on: number; off: number; ratio: number; cpuOn: number; cpuOff: number; cpuRatio: number }[] = [];
    let lastOn: AppProcess | undefined;
    for (const sc of scenarios) {
      const m = { on: [] as Measurement[], off: [] as Measurement[] };
      for (let i = 0; i < rounds; i++) {
        // A new pair each round: one process's luck (JIT, heap layout, its core) is not
        // carried into every round.
        const [on, off] = await Promise.all([start(common), start(offArgs, offEnv)]);
        const order = i % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
        const app = (side: 'on' | 'off') => (side === 'on' ? on : off);
        for (const side of order) await measure(app(side), sc, 2, false); // warm: JIT, connection pools, dynalite's first reads
        for (const side of order) m[side].push(await measure(app(side), sc, seconds));
        const [a, b] = [m.on.at(-1)!, m.off.at(-1)!];
        console.log(`  ${sc.name} round ${i + 1}: on ${a.rps.toFixed(0)} rps ${a.cpuUs.toFixed(1)} µs cpu/req, off ${b.rps.toFixed(0)} rps ${b.cpuUs.toFixed(1)} µs cpu/req`);
        await checkMonitored(fleet, on, off);
        lastOn = on;
        await Promise.all([stop(on), stop(off)]);
      }
      // a pair runs back to back, so its ratio cancels slow drift; the median drops outliers
      const pairs = (f: (x: Measurement) => number) => median(m.on.map((x, k) => f(x) / f(m.off[k]!)));
      const rpsOf = (x: Measurement) => x.rps;
      const cpuOf = (x: Measurement) => x.cpuUs;
      summary.push({
        name: sc.name,
        on: median(m.on.map(rpsOf)),
        off: median(m.off.map(rpsOf)),
        ratio: pairs(rpsOf),
        cpuOn: median(m.on.map(cpuOf)),
        cpuOff: median(m.off.map(cpuOf)),
        // off/on: the throughput ratio a CPU-bound app would see
        cpuRatio: 1 / pairs(cpuOf),
      });
    }
    const onStats = (await fleet.requests.read(lastOn!.address))!;
    fleet.redis.disconnect();

    console.log(`\nload average ${load1()} at the end (${cpus().length} cores)`);
    console.log(`last monitors-on app: its hash says ${onStats.total} requests (${onStats.s2xx} 2xx), p50 ${onStats.p50Ms} ms, p95 ${onStats.p95Ms} ms`);
    const verdict = (x: number) => (x >= TARGET ? 'ok' : `below ${TARGET}`);
    // what the monitors cost per request in isolation, at each scenario's measured rate
    console.log('\nin isolation, per request at the monitors-on side\'s rate: request path + (flush + memory sample) ÷ rps');
    for (const r of summary) {
      const amortizedNs = ((micro.flushUs + micro.memoryUs) * 1000) / r.on;
      const ns = median(micro.requestNs) + amortizedNs;
      console.log(`  ${r.name}: ${median(micro.requestNs).toFixed(0)} + ${amortizedNs.toFixed(0)} = ${ns.toFixed(0)} ns CPU/request = ${((100 * ns) / 1000 / r.cpuOff).toFixed(2)} % of the unmonitored app's ${r.cpuOff.toFixed(1)} µs`);
    }
    console.log('\nmedians over rounds; ratios are medians of the per-round on/off pairs');
    console.log(`${'scenario'.padEnd(52)} ${'on rps'.padStart(8)} ${'off rps'.padStart(8)}  rps ratio   ${'on µs'.padStart(7)} ${'off µs'.padStart(7)}  cpu ratio (off/on)`);
    for (const r of summary) {
      console.log(
        `${r.name.padEnd(52)} ${r.on.toFixed(0).padStart(8)} ${r.off.toFixed(0).padStart(8)}  ${r.ratio.toFixed(3)} ${verdict(r.ratio).padEnd(10)}` +
          ` ${r.cpuOn.toFixed(1).padStart(7)} ${r.cpuOff.toFixed(1).padStart(7)}  ${r.cpuRatio.toFixed(3)} ${verdict(r.cpuRatio)}`,
      );
    }
  } finally {
    await stopAll();
  }
}

function printMicro(m: MonitorCost): void {
  console.log(`monitors in isolation (this process, CPU from process.cpuUsage(); ${rounds} rounds of ${MICRO.requests.toLocaleString('en')} requests, ${MICRO.flushes} flushes):`);
  console.log(`  request monitor middleware: ${median(m.requestNs).toFixed(0)} ns CPU/request median (rounds: ${m.requestNs.map((x) => x.toFixed(0)).join(', ')}) over a pass-through middleware`);
  console.log(`  request monitor flush (window snapshot + one pipeline, client side): ${m.flushUs.toFixed(1)} µs CPU per flush, one per second`);
  console.log(`  memory monitor sample (/proc/meminfo, host id, one HSET, client side): ${m.memoryUs.toFixed(1)} µs CPU per sample, one per second\n`);
}

buildOrExit('bench:monitors');
main().catch((err: Error) => {
  console.error(`bench:monitors failed: ${err.message}`);
  process.exit(1);
});
