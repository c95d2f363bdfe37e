import { dirname } from 'node:path';
import type { Logger } from '../lib/log.js';
import { runLoad } from '../load/run.js';
import type { Summary } from '../load/summary.js';
import { actionName, runAction } from './actions/index.js';
import { pause, type ChaosContext } from './context.js';
import { ChaosEvents } from './events.js';
import { experimentWindowMs, isPause, type Action, type Experiment, type Step } from './experiment.js';
import { journalState, platformLine, type ActivityRun, type Journal } from './journal.js';
import { loadConfig, loadRequests } from './load.js';
import { loadFigures, measure } from './measure.js';
import { compareRuns, steadyState, verdict, type SteadyState } from './verdict.js';

export interface RunOptions {
  /** The experiment file's path: its tests file is found relative to it. */
  file: string;
  /** `--compare`: first the same load without the method (control), then the experiment. */
  compare?: boolean;
  log: Logger;
  /** Progress lines for people. */
  say: (line: string) => void;
}

const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => Math.round(ms) / 1000;

/** One activity, timed and journaled; a failure is recorded, never thrown. */
async function activity(ctx: ChaosContext, events: ChaosEvents, step: Step, kind: 'method' | 'rollback'): Promise<ActivityRun> {
  const start = Date.now();
  const name = isPause(step) ? `pause ${step.pause} ms` : actionName(step);
  const args = isPause(step) ? { pause: step.pause } : (step as Record<string, unknown>);
  const prefix = kind === 'rollback' ? 'rollback' : 'action';
  let status: ActivityRun['status'] = 'succeeded';
  let output: unknown = null;
  let exception: string | undefined;
  if (isPause(step)) {
    await pause(step.pause, ctx.signal);
  } else {
    await events.emit(`${prefix}-started`, name);
    try {
      output = await runAction(ctx, step);
    } catch (err) {
      status = 'failed';
      exception = (err as Error).message;
    }
    await events.emit(`${prefix}-${status === 'failed' ? 'failed' : 'ended'}`, name, exception ?? summarize(output));
  }
  const end = Date.now();
  return { activity: { type: isPause(step) ? 'pause' : 'action', name, arguments: args }, status, start: iso(start), end: iso(end), duration: seconds(end - start), output, exception };
}

/** A short line of an action's output for the event stream. */
function summarize(output: unknown): string {
  const text = JSON.stringify(output ?? null);
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
}

/**
 * One load window of the experiment: `during` (the method, or a wait) runs under the load,
 * then the probes are taken while the load still runs (a flood is judged while it floods),
 * and the window's own figures are added when it ends.
 */
async function window(ctx: ChaosContext, exp: Experiment, file: Awaited<ReturnType<typeof loadRequests>>, durationMs: number, during: () => Promise<void>): Promise<{ load: Summary; state: SteadyState }> {
  const cfg = loadConfig(exp.load, file, { target: ctx.target.proxyUrl, durationMs, authorization: ctx.target.authorization, signal: ctx.signal });
  // The method runs under load: only once the load's setup (its fixtures, made through the
  // system under test) is done and it sends. A fault injected during the setup failed the
  // setup itself, with no verdict, against a stack without retries.
  let started!: () => void;
  const sending = new Promise<void>((resolve) => (started = resolve));
  const load = runLoad({ ...cfg, onStart: started }, ctx.log);
  await Promise.race([sending, load]);
  await during();
  const probes = exp.steady_state.probes;
  const [m, summary] = await Promise.all([measure(ctx, probes), load]);
  return { load: summary, state: steadyState(probes, { ...m, ...loadFigures(summary) }) };
}

/** Most of a window without a method: the probes come near its end, under load. */
const settle = (ctx: ChaosContext, ms: number) => () => pause(Math.round(ms * 0.8), ctx.signal);

/**
 * `shoal chaos run`: load throughout; the steady state over the warm-up must hold, then the
 * method runs under load, the steady state is checked over the method's window, and the
 * rollbacks always run (after a failed action, and on a signal too).
 */
export async function runExperiment(exp: Experiment, ctx: ChaosContext, o: RunOptions): Promise<Journal> {
  const events = new ChaosEvents(ctx.fleet, exp.title, o.log);
  const started = Date.now();
  const file = await loadRequests(exp.load, dirname(o.file));
  const windowMs = experimentWindowMs(exp);
  await events.emit('experiment-started', '', `${exp.load.rate} req/s, warm-up ${exp.steady_state.warmup} ms, method window ${windowMs} ms`);

  let control: Journal['control'];
  if (o.compare) {
    o.say(`control: ${windowMs} ms of load, no fault`);
    const { load, state } = await window(ctx, exp, file, windowMs, settle(ctx, windowMs));
    control = { steady_state: journalState(state)!, load, diff: [] };
  }

  o.say(`steady state: ${exp.steady_state.warmup} ms of load at ${exp.load.rate} req/s`);
  const baseline = ctx.signal.aborted ? null : await window(ctx, exp, file, exp.steady_state.warmup, settle(ctx, exp.steady_state.warmup));
  const loadBefore = baseline?.load ?? null;
  const before = baseline?.state ?? null;
  const run: ActivityRun[] = [];
  let loadDuring: Summary | null = null;
  let after: SteadyState | null = null;
  if (before?.met && !ctx.signal.aborted) {
    o.say(`method: ${exp.method.length} step(s) under load, window ${windowMs} ms`);
    const during = await window(ctx, exp, file, windowMs, async () => {
      for (const step of exp.method) {
        if (ctx.signal.aborted) break;
        const r = await activity(ctx, events, step, 'method');
        run.push(r);
        o.say(`  ${r.activity.name}: ${r.status}${r.exception ? ` (${r.exception})` : ''}`);
        if (r.status === 'failed') break; // the rest of the method would act on a system it did not expect
      }
    });
    loadDuring = during.load;
    after = during.state;
  } else if (before) {
    o.say('steady state did not hold before the method: aborting (rollbacks still run)');
  }

  // Rollbacks run whatever happened, even after a signal: they get a signal of their own.
  const rollbackCtx: ChaosContext = { ...ctx, signal: new AbortController().signal };
  const rollbacks: ActivityRun[] = [];
  for (const step of exp.rollbacks as Action[]) {
    const r = await activity(rollbackCtx, events, step, 'rollback');
    rollbacks.push(r);
    o.say(`  rollback ${r.activity.name}: ${r.status}${r.exception ? ` (${r.exception})` : ''}`);
  }

  const v = verdict({
    before,
    after,
    actions: run.filter((r) => r.activity.type === 'action').map((r) => r.status),
    rollbacks: rollbacks.map((r) => r.status),
    interrupted: ctx.signal.aborted,
  });
  if (control && after) control.diff = compareRuns({ met: control.steady_state.steady_state_met, probes: control.steady_state.probes }, after);
  const ended = Date.now();
  await events.emit('verdict', '', `${v.passed ? 'PASSED' : 'FAILED'} (${v.status})${v.reasons.length ? `: ${v.reasons.join('; ')}` : ''}`);
  return {
    'chaoslib-version': null,
    generator: 'shoal chaos',
    platform: platformLine(),
    node: process.version,
    experiment: exp,
    start: iso(started),
    end: iso(ended),
    duration: seconds(ended - started),
    status: v.status,
    deviated: v.deviated,
    passed: v.passed,
    reasons: v.reasons,
    steady_states: { before: journalState(before), after: journalState(after), during: [] },
    run,
    rollbacks,
    load: { before: loadBefore, during: loadDuring },
    control,
  };
}
