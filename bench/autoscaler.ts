// Runs shoal's autoscaling engine and a model of Kubernetes HPA over the recorded traces in
// bench/traces and prints the SPEC RG elasticity metrics side by side. The HPA model runs
// twice: with the signal a stock HPA sees (each pod's served rate, capped by its capacity)
// and with the proxies' offered rate shoal's engine gets; the targets are checked against
// the stronger of the two on each trace.
//   npm run bench:autoscaler            (or: node --import tsx bench/autoscaler.ts [--json])
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { elasticity, type Elasticity } from '../capacity/elasticity.js';
import { engineConfig } from '../autoscaler/engine/config.js';
import { EngineScaler } from '../autoscaler/sim/engine-scaler.js';
import { HpaModel } from '../autoscaler/sim/hpa-model.js';
import { loadTrace } from '../autoscaler/sim/trace.js';
import { flaps, simulate, supplyDemand, type Scaler, type Trace } from '../autoscaler/sim/world.js';
import { buildOrExit } from './lib/build.js';

const TRACES = fileURLToPath(new URL('./traces/', import.meta.url));
// Both scalers get the same world: servers boot in 30 s, serve at most 2× the target, drain in 2 s.
const WORLD = { bootMs: 30_000, capacityRps: 100, drainMs: 2000 };
const MIN = 1;
const MAX = 20;

interface Row extends Elasticity {
  trace: string;
  scaler: string;
  flaps: number;
}

function run(tr: Trace, scaler: Scaler): Row {
  const result = simulate(tr, scaler, WORLD, MIN);
  return { trace: tr.name, scaler: scaler.name, ...elasticity(supplyDemand(result, tr.targetRps)), flaps: flaps(result.actions) };
}

buildOrExit('bench:autoscaler');
const files = (await readdir(TRACES)).filter((f) => f.endsWith('.json')).sort();
const rows: Row[] = [];
for (const f of files) {
  const tr = await loadTrace(TRACES + f);
  rows.push(run(tr, new EngineScaler(engineConfig({ min: MIN, max: MAX, intervalMs: 5000, targetRps: tr.targetRps }))));
  for (const signal of ['served', 'offered'] as const) rows.push(run(tr, new HpaModel({ min: MIN, max: MAX, targetRps: tr.targetRps, signal })));
}

if (process.argv.includes('--json')) {
  process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
} else {
  const cols: [string, (r: Row) => string][] = [
    ['trace', (r) => r.trace],
    ['scaler', (r) => r.scaler],
    ['θU %', (r) => r.thetaU.toFixed(2)],
    ['θO %', (r) => r.thetaO.toFixed(2)],
    ['τU %', (r) => r.tauU.toFixed(2)],
    ['τO %', (r) => r.tauO.toFixed(2)],
    ['jitter /min', (r) => r.jitter.toFixed(2)],
    ['actions', (r) => String(r.scalingActions)],
    ['flaps', (r) => String(r.flaps)],
  ];
  const cells = [cols.map(([h]) => h), ...rows.map((r) => cols.map(([, f]) => f(r)))];
  const widths = cols.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => '| ' + c.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(' | ') + ' |';
  console.log(`shoal engine (5 s interval, 1 s rates, proxies' offered rate) vs HPA model (15 s sync, 15 s metric window, tolerance 0.1,`);
  console.log(`+4 pods or +100 % per 15 s, 300 s scale-down stabilization) fed each pod's served rate ("hpa served", a stock HPA)`);
  console.log(`or the proxies' offered rate ("hpa offered", shoal's signal); servers boot in ${WORLD.bootMs / 1000} s, serve at most ${WORLD.capacityRps} req/s, min ${MIN}, max ${MAX}`);
  console.log(line(cells[0]!));
  console.log('|' + widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const c of cells.slice(1)) console.log(line(c));
  const by = (trace: string, scaler: string) => rows.find((r) => r.trace === trace && r.scaler === scaler)!;
  // the stronger HPA on a trace: the lower under-provisioning, then the lower over-provisioning
  const strongest = (trace: string) => [by(trace, 'hpa served'), by(trace, 'hpa offered')].sort((a, b) => a.thetaU - b.thetaU || a.thetaO - b.thetaO)[0]!;
  const steps = [...new Set(rows.map((r) => r.trace))].filter((n) => n.startsWith('step'));
  const stepOk = steps.every((n) => by(n, 'shoal').thetaU < strongest(n).thetaU);
  const squareOk = rows.filter((r) => r.trace === 'square' && r.scaler === 'shoal').every((r) => r.flaps === 0);
  console.log('');
  for (const n of steps) console.log(`${n}: shoal θU ${by(n, 'shoal').thetaU.toFixed(2)} % vs the stronger HPA (${strongest(n).scaler}) ${strongest(n).thetaU.toFixed(2)} %`);
  console.log(`targets: lower θU than the stronger HPA on every step trace: ${stepOk ? 'met' : 'MISSED'}; zero flaps on the square wave: ${squareOk ? 'met' : 'MISSED'}`);
  if (!stepOk || !squareOk) process.exitCode = 1;
}
