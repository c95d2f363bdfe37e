import { arch, hostname, platform, release } from 'node:os';
import type { Experiment } from './experiment.js';
import type { FigureDiff, RunStatus, SteadyState } from './verdict.js';

/** One activity as Chaos Toolkit journals it: what ran, when, how it ended, what it returned. */
export interface ActivityRun {
  activity: { type: 'action' | 'pause'; name: string; arguments: Record<string, unknown> };
  status: 'succeeded' | 'failed';
  start: string;
  end: string;
  /** Seconds. */
  duration: number;
  output: unknown;
  exception?: string;
}

/** Steady state as Chaos Toolkit journals it, with the figures each probe measured. */
export interface JournalSteadyState {
  steady_state_met: boolean;
  probes: SteadyState['probes'];
}

/** The run's record (`--journal FILE`), in the shape Chaos Toolkit users read. */
export interface Journal {
  'chaoslib-version': null;
  generator: 'shoal chaos';
  platform: string;
  node: string;
  experiment: Experiment;
  start: string;
  end: string;
  /** Seconds. */
  duration: number;
  status: RunStatus;
  deviated: boolean;
  passed: boolean;
  reasons: string[];
  steady_states: { before: JournalSteadyState | null; after: JournalSteadyState | null; during: [] };
  run: ActivityRun[];
  rollbacks: ActivityRun[];
  /** The load's own summaries of the two windows (warm-up and method), as `shoal load --json` writes them. */
  load: { before: unknown; during: unknown };
  /** `--compare`: the control run's steady state and the difference in each figure. */
  control?: { steady_state: JournalSteadyState; load: unknown; diff: FigureDiff[] };
}

export const journalState = (s: SteadyState | null): JournalSteadyState | null => (s ? { steady_state_met: s.met, probes: s.probes } : null);

export function platformLine(): string {
  return `${platform()} ${release()} ${arch()} (${hostname()})`;
}
