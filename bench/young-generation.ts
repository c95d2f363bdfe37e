// bench/young-generation: what the size of V8's young generation costs `shoal proxy` in CPU
// per request and buys in RSS. The proxy caps it itself (8 MiB semi-spaces, no node flags:
// proxy/young-generation.ts); a --max-semi-space-size passed at start makes it stand aside,
// so the other rows are Node's default (16) and smaller caps, each a whole proxy process.
// Per round, in rotating order: wrk -t1 -c64 /hello (2 s warm-up, then --seconds), CPU µs per
// request of the proxy process; then its young generation and RSS from /proc and /metrics.
//   npm run bench:young-generation -- [--rounds 4] [--seconds 5]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../lib/redis-server.js';
import { buildOrExit } from './lib/build.js';
import { spawnNode } from './lib/child-process.js';
import { treeCpuTimes } from './lib/proc-cpu.js';
import type { Target } from './lib/proxy-targets.js';
import { load1, median, positiveInt, spread } from './lib/stats.js';
import { runWrk } from './lib/wrk.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '4' }, seconds: { type: 'string', default: '5' } } });
const bad = (msg: string): never => {
  console.error(`bench:young-generation: ${msg}`);
  process.exit(2);
};
const ROUNDS = positiveInt('rounds', values.rounds!, bad);
const SECONDS = positiveInt('seconds', values.seconds!, bad);
const VARIANTS: [string, string[]][] = [
  ["the proxy's own cap (no flags)", []],
  ["Node's default: --max-semi-space-size=16", ['--max-semi-space-size=16']],
  ['--max-semi-space-size=4', ['--max-semi-space-size=4']],
  ['--max-semi-space-size=1', ['--max-semi-space-size=1']],
];
const say = (s: string) => process.stderr.write(`${s}\n`);

buildOrExit('bench:young-generation');
const loadAtStart = load1();
const redis = await startRedisServer();
const backend = spawnNode(['test/fixtures/backend.mjs', '--id', 'young', '--redis', redis.url, '--prefix', 'young:']);
const targets: { name: string; t: Target; admin: string; cpu: number[]; rps: number[] }[] = [];
try {
  await backend.waitForLine(/ready at http:\/\//);
  for (const [name, flags] of VARIANTS) {
    const c = spawnNode([...flags, 'dist/cli/shoal.js', 'proxy', '--port', '0', '--admin-port', '0', '--redis', redis.url, '--prefix', 'young:', '--log-level', 'warn']);
    const t: Target = { name, url: '', pid: c.pid, stop: () => c.stop() };
    targets.push({ name, t, admin: '', cpu: [], rps: [] });
    const m = await c.waitForLine(/ready at (http:\/\/\S+) \(admin (\S+?)\)/);
    t.url = m[1]!;
    targets.at(-1)!.admin = m[2]!;
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < targets.length; i++) {
      const x = targets[(i + round) % targets.length]!;
      await runWrk({ url: `${x.t.url}/hello`, seconds: 2, connections: 64 });
      const a = treeCpuTimes(x.t.pid);
      const r = await runWrk({ url: `${x.t.url}/hello`, seconds: SECONDS, connections: 64 });
      const b = treeCpuTimes(x.t.pid);
      x.cpu.push(((b.user - a.user + b.system - a.system) / r.requests) * 1e6);
      x.rps.push(r.rps);
      say(`round ${round + 1} ${x.name}: ${r.rps.toFixed(0)} rps, ${x.cpu.at(-1)!.toFixed(1)} µs CPU/request${r.errors ? `, ${r.errors} errors` : ''}`);
    }
  }
  console.log(`\nbench/young-generation — ${new Date().toISOString()} — load average ${loadAtStart} at the start, ${load1()} at the end, node ${process.version}, ${ROUNDS} rounds of wrk -t1 -c64 -d${SECONDS}s /hello (medians; min–max in brackets)\n`);
  console.log('| shoal proxy | rps | CPU µs/request | young generation after MiB | RSS after MB |');
  console.log('|---|---:|---:|---:|---:|');
  for (const x of targets) {
    const m = await (await fetch(`${x.admin}/metrics`)).text();
    const young = Number(/shoal_nodejs_heap_space_size_total_bytes\{space="new"[^}]*\} (\d+)/.exec(m)?.[1] ?? NaN) / 2 ** 20;
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${x.t.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
    console.log(`| ${x.name} | ${median(x.rps).toFixed(0)} | ${median(x.cpu).toFixed(1)} (${spread(x.cpu, 1)}) | ${young.toFixed(0)} | ${rss.toFixed(0)} |`);
  }
} finally {
  for (const x of targets) await x.t.stop();
  await backend.stop();
  await redis.stop();
}
