import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { Journal } from '../../chaos/journal.js';
import { ROOT, spawnShoal, type Proc } from './proc.js';

/** CI sizes: a low rate and a short warm-up (the method's pauses are the files' own). */
export const SHORT = ['--rate', '50', '--warmup', '2s'];

export function startChaos(t: Test, experiment: string, dataDir: string, extra: string[] = SHORT): { proc: Proc; journalFile: string } {
  const journalFile = join(mkdtempSync(join(tmpdir(), 'shoal-chaos-')), 'journal.json');
  const proc = spawnShoal(t.teardown, ['chaos', 'run', join(ROOT, 'experiments', `${experiment}.yaml`), '--data-dir', dataDir, '--journal', journalFile, ...extra]);
  return { proc, journalFile };
}

/** Runs one shipped experiment against the stack in `dataDir`; its exit code, printed verdict and journal. */
export async function runChaos(t: Test, experiment: string, dataDir: string, extra?: string[]): Promise<{ code: number | string; out: string; journal: Journal }> {
  const { proc, journalFile } = startChaos(t, experiment, dataDir, extra);
  const code = await proc.exited();
  let text: string;
  try {
    text = readFileSync(journalFile, 'utf8');
  } catch {
    throw new Error(`${experiment}: exit ${code} without a journal: ${proc.stdout()}${proc.stderr()}`);
  }
  const journal = JSON.parse(text) as Journal;
  return { code, out: proc.stdout(), journal };
}

/** The figures of the method window, for the test's log (and the closing note). */
export function figures(j: Journal): string {
  return (j.steady_states.after?.probes ?? j.steady_states.before?.probes ?? []).map((p) => `${p.probe}=${p.value}`).join(' ');
}
