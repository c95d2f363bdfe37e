// bench:templates — what each kind of request in the README's mix costs the stack, in CPU.
// `shoal up --max 1` (one app server, so no scale-out), `urlfuzzer --seed 1` against its
// proxy, then for each kind — the templates sharing a name, or one chain — `shoal load` with
// only that kind at --rate for --duration. Every process's CPU time over each window
// (/proc, as bench:laptop reads it) over the requests answered gives CPU ms per request for
// the app, dynalite and the proxy; the kind's weight in the file gives its share of the
// mix's CPU (a chain's arrivals run all its steps). Each window also holds `shoal load`'s
// setup (its login, the id pools): a one-request window is measured first and taken off.
// Stops everything it started.
//   npm run bench:templates -- [--rate 40] [--duration 5s]
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { TestsFile } from '../fuzzer/templates.js';
import type { Summary } from '../load/summary.js';
import { buildOrExit } from './lib/build.js';
import { ROOT } from './lib/child-process.js';
import { QUIET_ENV, SHOAL, startShoalUp, type UpStack } from './lib/shoal-up.js';
import { load1, positiveInt } from './lib/stats.js';
import { TreeCpuSampler } from './lib/tree-cpu-sampler.js';

const run = promisify(execFile);
const { values } = parseArgs({ options: { rate: { type: 'string', default: '40' }, duration: { type: 'string', default: '5s' } } });
const bad = (msg: string): never => {
  console.error(`bench:templates: ${msg}`);
  process.exit(2);
};
const rate = positiveInt('rate', values.rate!, bad);
const seconds = /^(\d+)s$/.exec(values.duration!) ? Number(values.duration!.slice(0, -1)) : bad(`--duration: expected seconds like 5s (got ${JSON.stringify(values.duration)})`);
if (seconds < 1 || seconds > 60) bad('--duration: expected 1s to 60s');
const ROLES = ['app', 'dynalite', 'proxy'] as const;

interface Kind {
  name: string;
  weight: number;
  /** Requests per arrival: 1, or a chain's steps. */
  steps: number;
  file: Pick<TestsFile, 'templates' | 'chains'>;
}

interface Cost {
  kind: Kind;
  answered: number;
  p50: number;
  /** CPU ms per answered request, per role. */
  ms: Cpu;
}

function kindsOf(file: TestsFile): Kind[] {
  const byName = new Map<string, Kind>();
  for (const t of file.templates) {
    const k = byName.get(t.name) ?? { name: `${t.class === 'invalid' ? '(invalid) ' : ''}${t.name}`, weight: 0, steps: 1, file: { templates: [], chains: [] } };
    k.weight += t.weight;
    k.file.templates.push(t);
    byName.set(t.name, k);
  }
  const chains = file.chains.map((c) => ({ name: `chain: ${c.name}`, weight: c.weight, steps: c.steps.length, file: { templates: [], chains: [c] } }));
  return [...byName.values(), ...chains];
}

type Cpu = Record<(typeof ROLES)[number], number>;

/** One `shoal load` of `kind` alone: CPU seconds per role over the window, and its summary. */
async function window(up: UpStack, file: TestsFile, kind: Kind, r: number, s: number): Promise<{ cpuS: Cpu; summary: Summary }> {
  const tests = join(up.dir, 'kind.json');
  const summaryFile = join(up.dir, 'kind-summary.json');
  writeFileSync(tests, JSON.stringify({ ...file, ...kind.file }));
  const sampler = new TreeCpuSampler([up.pid], 250);
  // exit 1 means errors or thresholds: the summary is still the window's
  await run(process.execPath, [SHOAL, 'load', '--tests', tests, '--rate', String(r), '--duration', `${s}s`, '--data-dir', up.dir, '--json', summaryFile], { cwd: ROOT, env: QUIET_ENV, timeout: (seconds + 120) * 1000 }).catch(() => undefined);
  const procs = sampler.stop();
  const cpuS = Object.fromEntries(ROLES.map((role) => [role, procs.filter((p) => p.role === role).reduce((a, p) => a + p.cpuS, 0)])) as Cpu;
  return { cpuS, summary: JSON.parse(readFileSync(summaryFile, 'utf8')) as Summary };
}

/**
 * Every window also holds `shoal load`'s own setup — the demo user's login (one scrypt run in
 * the app), the id pools — so one request's window is measured first and taken off the rest.
 */
async function setupCost(up: UpStack, file: TestsFile, kinds: Kind[]): Promise<{ cpuS: Cpu; answered: number }> {
  const cheapest = kinds.find((k) => k.name === 'get song') ?? kinds[0]!;
  const w = await window(up, file, cheapest, 1, 1);
  return { cpuS: w.cpuS, answered: w.summary.requests.total };
}

async function measure(up: UpStack, file: TestsFile, kind: Kind, setup: { cpuS: Cpu; answered: number }): Promise<Cost> {
  const { cpuS, summary: s } = await window(up, file, kind, rate, seconds);
  const answered = Math.max(1, s.requests.total - setup.answered);
  const ms = Object.fromEntries(ROLES.map((r) => [r, (1000 * Math.max(0, cpuS[r] - setup.cpuS[r])) / answered])) as Cpu;
  return { kind, answered: s.requests.total, p50: s.latency.raw.p50, ms };
}

function print(costs: Cost[], upArgs: string[], loadAtStart: string): void {
  const perArrival = (c: Cost) => c.kind.weight * c.kind.steps * (c.ms.app + c.ms.dynalite + c.ms.proxy);
  const total = costs.reduce((a, c) => a + perArrival(c), 0);
  console.log(`\nbench:templates — node ${process.version}, ${cpus().length} cores, load average ${loadAtStart} at the start`);
  console.log(`  shoal ${upArgs.join(' ')}; urlfuzzer --seed 1; per kind: shoal load --rate ${rate} --duration ${seconds}s`);
  console.log('CPU ms per answered request (user + system, /proc), most of the mix first; share = weight × steps × CPU of the three, over the file');
  console.log(`  ${'kind'.padEnd(46)} ${'weight'.padStart(6)} ${'answered'.padStart(8)} ${'app'.padStart(6)} ${'dynalite'.padStart(8)} ${'proxy'.padStart(6)} ${'raw p50'.padStart(9)} ${'share'.padStart(6)}`);
  for (const c of [...costs].sort((a, b) => perArrival(b) - perArrival(a))) {
    console.log(`  ${c.kind.name.slice(0, 46).padEnd(46)} ${c.kind.weight.toFixed(1).padStart(6)} ${String(c.answered).padStart(8)} ${c.ms.app.toFixed(2).padStart(6)} ${c.ms.dynalite.toFixed(2).padStart(8)} ${c.ms.proxy.toFixed(2).padStart(6)} ${`${c.p50.toFixed(1)} ms`.padStart(9)} ${`${((100 * perArrival(c)) / total).toFixed(1)} %`.padStart(6)}`);
  }
  console.log(`load average ${load1()} at the end`);
}

async function main(up: UpStack, loadAtStart: string): Promise<void> {
  const tests = join(up.dir, 'generatedTests.json');
  await run(process.execPath, [join(ROOT, 'dist/cli/urlfuzzer.js'), '--target', up.stack.proxy!.url, '--out', tests, '--seed', '1'], { cwd: ROOT, env: QUIET_ENV, timeout: 120_000 });
  const file = JSON.parse(readFileSync(tests, 'utf8')) as TestsFile;
  const kinds = kindsOf(file);
  const setup = await setupCost(up, file, kinds);
  const costs: Cost[] = [];
  for (const kind of kinds) {
    costs.push(await measure(up, file, kind, setup));
    process.stderr.write('.');
  }
  print(costs, up.args, loadAtStart);
}

buildOrExit('bench:templates');
const loadAtStart = load1();
const up = await startShoalUp('templates', ['--max', '1']);
main(up, loadAtStart)
  .catch((err: Error) => {
    console.error(`bench:templates failed: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => up.stop());
