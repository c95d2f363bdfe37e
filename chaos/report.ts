import type { Journal, JournalSteadyState } from './journal.js';

const pad = (s: string, n: number) => s.padEnd(n);

function state(title: string, s: JournalSteadyState | null): string[] {
  if (!s) return [`${title}: not checked`];
  return [
    `${title}: ${s.steady_state_met ? 'met' : 'NOT met'}`,
    ...s.probes.map((p) => `  ${pad(p.probe, 14)} ${pad(p.value, 24)} wanted ${pad(p.tolerance, 34)} ${p.ok ? 'ok' : 'FAIL'}`),
  ];
}

/** Pure: the verdict with its figures, as `shoal chaos run` prints it. */
export function renderJournal(j: Journal): string {
  const lines = [`experiment: ${j.experiment.title}`, ...state('steady state before the method', j.steady_states.before)];
  if (j.run.length) lines.push('method:', ...j.run.map((r) => `  ${pad(r.activity.name, 30)} ${pad(r.status, 9)} ${r.duration.toFixed(2)} s  ${r.exception ?? JSON.stringify(r.output)}`));
  lines.push(...state('steady state over the method window', j.steady_states.after));
  if (j.rollbacks.length) lines.push('rollbacks:', ...j.rollbacks.map((r) => `  ${pad(r.activity.name, 30)} ${pad(r.status, 9)} ${r.exception ?? ''}`));
  if (j.control) {
    lines.push('control vs experiment:', `  ${pad('figure', 14)} ${pad('control', 24)} ${pad('experiment', 24)} ${pad('delta', 10)} verdict`);
    for (const d of j.control.diff) lines.push(`  ${pad(d.probe, 14)} ${pad(d.control, 24)} ${pad(d.experiment, 24)} ${pad(d.delta === null ? '–' : String(d.delta), 10)} ${d.ok ? 'holds' : 'FAILS'} (${d.tolerance})`);
  }
  lines.push(`verdict: ${j.passed ? 'PASSED' : 'FAILED'} (${j.status}) in ${j.duration.toFixed(1)} s${j.reasons.length ? `\n  ${j.reasons.join('\n  ')}` : ''}`);
  return lines.join('\n') + '\n';
}
