import { formatDuration } from '../lib/duration.js';
import type { LatencyStats } from './histogram.js';
import type { Ending, PartSummary, Summary } from './summary.js';

const n = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 2 });
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;
const MB = 1024 * 1024;
const size = (b: number) => (b >= MB ? `${(b / MB).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);
const row = (label: string, value: string) => `  ${label.padEnd(22)}${value}`;
const secs = (x: number) => `${(x / 1000).toFixed(2)} s`;

/** Why a run or an entry stopped early, in words; '' when it ran its plan out. */
function endedEarly(e: Ending, cap: number, capName: string): string {
  if (!e.early) return '';
  return e.reason === 'request-cap' ? `request cap reached (${capName} ${n(cap)})` : 'interrupted (SIGINT/SIGTERM)';
}

function partRows(parts: PartSummary[]): string[] {
  const out = ['', 'per entry (each its own test: its own rate, connections and request cap; rates over its own measured span)'];
  for (const p of parts) {
    const early = endedEarly(p.ended, p.maxRequests, 'maxRequests');
    out.push(`  ${p.name}`);
    out.push(`    ${n(p.total)}${p.planned !== null ? ` of ${n(p.planned)} planned` : ''} in ${secs(p.measuredMs)}: achieved ${n(p.achieved)}/s${p.targetRate !== null ? ` (target ${n(p.targetRate)}/s)` : ''}, ${n(p.ok)} ok, ${n(p.errors)} errors, ${n(p.missed)} missed, p50 ${ms(p.latency.p50)}, p99 ${ms(p.latency.p99)}, ${p.connections} connections`);
    out.push(`    ${early ? `ended early: ${early}` : 'ran its planned window'}`);
  }
  return out;
}

/** Where a tail came from: the scale-out's seconds apart from the rest. */
function phaseRows(phases: Summary['phases']): string[] {
  const out = ['', 'corrected latency around the scaling (during = from the autoscaler\'s first new ask until the ready servers matched its last)'];
  for (const p of phases) out.push(row(`${p.phase} (${p.fromS.toFixed(0)}–${p.toS.toFixed(0)} s)`, `p50 ${p.p50} ms, p99 ${p.p99} ms over ${p.requests} requests`));
  return out;
}

/** Every template's line, the tail's holders first, and a total that the rows add up to. */
function templateTable(rows: Summary['templates']): string[] {
  const out = ['', 'by template (corrected latency; most answers over 100 ms first)'];
  out.push(`  ${'template'.padEnd(8)} ${'name'.padEnd(44)} ${'requests'.padStart(8)} ${'≥100ms'.padStart(7)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'max'.padStart(10)}  route`);
  for (const r of rows) {
    const name = r.name.length > 44 ? `${r.name.slice(0, 43)}…` : r.name;
    out.push(`  ${r.id.padEnd(8)} ${name.padEnd(44)} ${n(r.total).padStart(8)} ${n(r.over100ms).padStart(7)} ${ms(r.latency.p50).padStart(10)} ${ms(r.latency.p99).padStart(10)} ${ms(r.latency.max).padStart(10)}  ${r.method} ${r.route.length > 60 ? `${r.route.slice(0, 59)}…` : r.route}`);
  }
  const sum = (f: (r: Summary['templates'][number]) => number) => n(rows.reduce((a, r) => a + f(r), 0));
  out.push(`  ${'total'.padEnd(8)} ${`${rows.length} templates and chain steps`.padEnd(44)} ${sum((r) => r.total).padStart(8)} ${sum((r) => r.over100ms).padStart(7)}`);
  return out;
}

function elasticityRows(e: NonNullable<Summary['elasticity']>): string[] {
  const out = [''];
  out.push(`elasticity (SPEC RG; demand = ${e.definition} servers, offered = the planned arrival rate at the sample (measured sends for --users), target = ${n(e.targetRps)} req/s per server; ${e.samples} samples)`);
  out.push(row('θU under-provisioning', `${e.thetaU.toFixed(1)}% of demand`));
  out.push(row('θO over-provisioning', `${e.thetaO.toFixed(1)}% of demand`));
  out.push(row('τU under timeshare', `${e.tauU.toFixed(1)}% of time`));
  out.push(row('τO over timeshare', `${e.tauO.toFixed(1)}% of time`));
  out.push(row('jitter', `${e.jitter.toFixed(2)} adaptations/min`));
  out.push(row('scaling actions', `${e.scalingActions} (${e.scaleUps} up, ${e.scaleDowns} down; demand changed ${e.demandChanges} times)`));
  // every sample is in the JSON and the HTML chart; here the rows where something changed
  out.push('  demand next to the autoscaler (its desired count and the req/s it read, from its decision stream); rows where a value changed');
  out.push(`  ${'t'.padStart(8)}${'offered'.padStart(10)}${'demand'.padStart(8)}${'desired'.padStart(9)}${'its req/s'.padStart(11)}${'ready'.padStart(7)}`);
  const key = (x: (typeof e.series)[number]) => `${x.demand} ${x.autoscalerDesired} ${x.supply}`;
  e.series.forEach((x, i) => {
    if (i > 0 && i < e.series.length - 1 && key(x) === key(e.series[i - 1]!)) return;
    const opt = (v: number | null) => (v === null ? '-' : n(v));
    out.push(`  ${`${x.t.toFixed(1)}s`.padStart(8)}${n(x.offeredRps).padStart(10)}${String(x.demand).padStart(8)}${opt(x.autoscalerDesired).padStart(9)}${opt(x.autoscalerRps).padStart(11)}${String(x.supply).padStart(7)}`);
  });
  return out;
}

function latencyRows(c: LatencyStats, r: LatencyStats): string[] {
  const keys: [keyof LatencyStats, string][] = [
    ['min', 'min'],
    ['mean', 'mean'],
    ['p50', 'median (p50)'],
    ['p90', 'p90'],
    ['p95', 'p95'],
    ['p99', 'p99'],
    ['p999', 'p99.9'],
    ['max', 'max'],
  ];
  return [`  ${''.padEnd(22)}${'corrected'.padStart(12)}${'raw'.padStart(12)}`, ...keys.map(([k, label]) => `  ${label.padEnd(22)}${ms(c[k]).padStart(12)}${ms(r[k]).padStart(12)}`)];
}

/** Pure: the summary as the end-of-run text report. */
export function renderText(s: Summary): string {
  const out: string[] = [];
  const model = s.model === 'open' ? `open model, target ${s.rate.target === null ? '?' : n(s.rate.target)} req/s` : `closed model, ${s.users} users`;
  out.push(`shoal load → ${s.target}  (${model}, ${formatDuration(Math.round(s.durationMs))} planned, ${s.connections} connections${s.noWait ? ', no-wait' : ''})`);
  out.push('');
  out.push('requests');
  out.push(row('total', n(s.requests.total) + (s.requests.planned !== null ? ` of ${n(s.requests.planned)} planned` : '')));
  if (!s.noWait) {
    out.push(row('ok', `${n(s.requests.ok)} (${n(s.rate.okPerSecond)}/s)`));
    out.push(row('errors', `${n(s.requests.errors)} (${n(s.rate.errorsPerSecond)}/s)`));
  }
  out.push(row('measured over', `${secs(s.measuredMs)} (first planned send to last answer; every rate is over this span)`));
  const early = s.parts && s.ended.reason === 'request-cap' ? 'every entry reached its own request cap (maxRequests; see per entry)' : endedEarly(s.ended, s.requests.maxRequests, '--max-requests');
  if (early) out.push(row('ended early', `${early}, after ${secs(s.measuredMs)} of ${secs(s.durationMs)} planned`));
  out.push(row('requests/min', n(s.rate.perMinute)));
  out.push(row('achieved rate', `${n(s.rate.achieved)}/s${s.rate.target !== null ? ` (target ${n(s.rate.target)}/s)` : ''}`));
  out.push(row('missed sends', `${n(s.requests.missed)} (late > ${s.lateMs} ms: ${n(s.requests.missedLate)}, dropped: ${n(s.requests.missedDropped)})`));
  out.push(row('bytes', s.noWait ? `${size(s.bytes.sent)} sent` : `${size(s.bytes.sent)} sent, ${size(s.bytes.received)} received`));
  if (s.requests.unresolved) out.push(row('unresolved', `${n(s.requests.unresolved)} (a placeholder had no id)`));
  if (s.chains.completed || s.chains.aborted) out.push(row('chains', `${n(s.chains.completed)} completed, ${n(s.chains.aborted)} stopped early`));
  if (s.sockets) out.push(row('sockets (peak)', n(s.sockets.peak)));
  if (!s.noWait) {
    out.push('');
    out.push('latency (corrected = from the planned send time)');
    out.push(...latencyRows(s.latency.corrected, s.latency.raw));
    out.push(row('under 100 ms', `${s.percentUnder100ms}% corrected, ${s.percentUnder100msRaw}% raw`));
    out.push('');
    out.push('by template class');
    for (const [cls, c] of Object.entries(s.classes)) {
      out.push(row(cls, `${n(c.total)} requests, ${n(c.ok)} ok (${c.percentOk}%), ${n(c.errors)} errors, p50 ${ms(c.latency.p50)}, p99 ${ms(c.latency.p99)}`));
    }
    if (s.templates.length > 0) out.push(...templateTable(s.templates));
    out.push('');
    out.push('responses by status');
    out.push('  ' + (Object.entries(s.statuses).map(([k, v]) => `${k}: ${n(v)}`).join(', ') || 'none'));
    if (s.requests.errors) {
      out.push('errors by class and status');
      for (const [cls, m] of Object.entries(s.errors.byClass)) out.push(row(cls, Object.entries(m).map(([k, v]) => `${k}: ${n(v)}`).join(', ')));
    }
  }
  if (s.parts) out.push(...partRows(s.parts));
  if (s.elasticity) out.push(...elasticityRows(s.elasticity));
  if (s.phases.length > 0) out.push(...phaseRows(s.phases));
  out.push('');
  if (s.findings.length === 0) out.push(s.noWait ? 'findings: none (responses not read in --no-wait)' : 'findings: none');
  else {
    out.push(`findings (${s.findings.length}): valid requests refused with 4xx, invalid ones answered with 5xx`);
    for (const f of s.findings) {
      out.push(`  ${f.class} ${f.template} "${f.name}" → ${f.status} ×${n(f.count)}`);
      out.push(`    ${f.curl.length > 600 ? f.curl.slice(0, 600) + ' …' : f.curl}`);
    }
  }
  if (s.thresholds.length) {
    out.push('');
    out.push('thresholds');
    for (const t of s.thresholds) out.push(`  ${t.ok ? 'pass' : 'FAIL'}  ${t.expr}  (actual ${n(t.actual)}${t.unit})`);
  }
  return out.join('\n') + '\n';
}
