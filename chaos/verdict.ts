import type { Probe } from './experiment.js';

/** What the shell measured for one steady-state check: the load's figures over a window, and probes taken at its end. */
export interface Measurements {
  /** % of the window's requests answered 2xx/3xx (null: nothing was sent). */
  successPercent: number | null;
  /** Corrected (coordinated-omission-free) p95 over the window, ms. */
  p95Ms: number | null;
  readyServers: number | null;
  /** The HTTP probe: the status it got (null: no answer in time) and how long it took. */
  http: { status: number | null; ms: number; error?: string } | null;
  /** The proxy process's RSS in MiB (null: not measured or not on this machine). */
  proxyRssMb: number | null;
  /** The Redis write probe: it succeeded, or why not. */
  redisWrite: { ok: boolean; error?: string } | null;
}

export interface ProbeResult {
  /** "success-rate", "p95", … */
  probe: Probe['type'];
  /** What it must hold to: "≥ 99.9 %". */
  tolerance: string;
  /** What was measured, for people: "99.95 %". */
  value: string;
  /** The figure itself (null if it could not be measured). */
  figure: number | null;
  ok: boolean;
}

export interface SteadyState {
  met: boolean;
  probes: ProbeResult[];
}

const fmt = (n: number) => String(Math.round(n * 100) / 100);

/** Pure: one probe against what was measured. A figure that could not be measured does not hold. */
export function evaluateProbe(p: Probe, m: Measurements): ProbeResult {
  switch (p.type) {
    case 'success-rate': {
      const v = m.successPercent;
      return { probe: p.type, tolerance: `≥ ${p.min_percent} %`, value: v === null ? 'no requests' : `${fmt(v)} %`, figure: v, ok: v !== null && v >= p.min_percent };
    }
    case 'p95': {
      const v = m.p95Ms;
      return { probe: p.type, tolerance: `≤ ${p.max_ms} ms`, value: v === null ? 'no answers' : `${fmt(v)} ms`, figure: v, ok: v !== null && v <= p.max_ms };
    }
    case 'ready-servers': {
      const v = m.readyServers;
      return { probe: p.type, tolerance: p.within ? `≥ ${p.min} within ${p.within} ms` : `≥ ${p.min}`, value: v === null ? 'unknown (Redis unreachable)' : String(v), figure: v, ok: v !== null && v >= p.min };
    }
    case 'http': {
      const h = m.http;
      const value = !h ? 'not run' : h.status === null ? `no answer (${h.error ?? 'timeout'})` : `${h.status} in ${fmt(h.ms)} ms`;
      return { probe: p.type, tolerance: `GET ${p.path} → ${p.status} within ${p.timeout} ms`, value, figure: h?.status ?? null, ok: !!h && h.status === p.status && h.ms <= p.timeout };
    }
    case 'proxy-rss': {
      const v = m.proxyRssMb;
      return { probe: p.type, tolerance: `≤ ${p.max_mb} MiB`, value: v === null ? 'unknown' : `${fmt(v)} MiB`, figure: v, ok: v !== null && v <= p.max_mb };
    }
    case 'redis-write': {
      const r = m.redisWrite;
      return { probe: p.type, tolerance: 'a write succeeds', value: !r ? 'not run' : r.ok ? 'ok' : `failed (${r.error ?? ''})`, figure: r ? (r.ok ? 1 : 0) : null, ok: !!r?.ok };
    }
  }
}

export function steadyState(probes: readonly Probe[], m: Measurements): SteadyState {
  const results = probes.map((p) => evaluateProbe(p, m));
  return { met: results.every((r) => r.ok), probes: results };
}

/** Chaos Toolkit's run statuses. */
export type RunStatus = 'completed' | 'failed' | 'aborted' | 'interrupted';

export interface VerdictInput {
  before: SteadyState | null;
  after: SteadyState | null;
  /** Statuses of the method's actions and of the rollbacks. */
  actions: ('succeeded' | 'failed')[];
  rollbacks: ('succeeded' | 'failed')[];
  interrupted: boolean;
}

export interface Verdict {
  status: RunStatus;
  /** The system held its steady state through the fault: the experiment passed. */
  passed: boolean;
  deviated: boolean;
  reasons: string[];
}

/**
 * Pure: the run's verdict. The steady state not holding before the method aborts the run;
 * not holding after it is a deviation; a failed action or rollback fails the run too (the
 * fault was not injected as asked, or the system was not put back).
 */
export function verdict(v: VerdictInput): Verdict {
  const reasons: string[] = [];
  const failedProbes = (s: SteadyState) => s.probes.filter((p) => !p.ok).map((p) => `${p.probe} ${p.value} (wanted ${p.tolerance})`);
  if (v.before && !v.before.met) reasons.push(`steady state did not hold before the method: ${failedProbes(v.before).join('; ')}`);
  if (v.after && !v.after.met) reasons.push(`steady state deviated: ${failedProbes(v.after).join('; ')}`);
  const badActions = v.actions.filter((s) => s === 'failed').length;
  if (badActions) reasons.push(`${badActions} action(s) failed`);
  const badRollbacks = v.rollbacks.filter((s) => s === 'failed').length;
  if (badRollbacks) reasons.push(`${badRollbacks} rollback(s) failed`);
  if (v.interrupted) reasons.push('interrupted by a signal; rollbacks ran');
  const deviated = !!v.after && !v.after.met;
  let status: RunStatus;
  if (v.interrupted) status = 'interrupted';
  else if (v.before && !v.before.met) status = 'aborted';
  else if (deviated || badActions || badRollbacks || !v.after) status = 'failed';
  else status = 'completed';
  return { status, passed: status === 'completed', deviated, reasons };
}

export interface FigureDiff {
  probe: Probe['type'];
  tolerance: string;
  control: string;
  experiment: string;
  /** experiment − control, where both are numbers. */
  delta: number | null;
  /** The experiment's figure holds the tolerance. */
  ok: boolean;
}

/** Pure: control run vs experiment run, figure by figure (`--compare`). */
export function compareRuns(control: SteadyState, experiment: SteadyState): FigureDiff[] {
  return experiment.probes.map((e, i) => {
    const c = control.probes[i]!;
    const delta = e.figure !== null && c.figure !== null ? Math.round((e.figure - c.figure) * 100) / 100 : null;
    return { probe: e.probe, tolerance: e.tolerance, control: c.value, experiment: e.value, delta, ok: e.ok };
  });
}
