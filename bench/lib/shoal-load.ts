import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Summary } from '../../load/summary.js';
import { ROOT } from './child-process.js';

const run = promisify(execFile);

export interface OpenModelRun {
  /** Answers received, errors among them, and planned sends that went out late or not at all. */
  total: number;
  errors: number;
  missed: number;
  achievedRps: number;
  /** Corrected latency (from each request's planned send time), ms. */
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  rawP99Ms: number;
}

/**
 * `shoal load`'s open model (dist/cli/shoal.js, built by the bench first) sending GET `path`
 * to `url` at a fixed `rate` for `seconds`: arrivals keep their schedule whatever the
 * target does, and latency counts from the planned send time, so a stall is not hidden
 * (coordinated omission corrected).
 */
export async function openModel(o: { url: string; path: string; rate: number; seconds: number; connections: number; dir: string }): Promise<OpenModelRun> {
  const tests = join(o.dir, 'open-model-tests.json');
  const out = join(o.dir, 'open-model-summary.json');
  writeFileSync(tests, JSON.stringify({ version: 1, target: o.url, seed: 1, templates: [{ id: 'get', method: 'GET', path: o.path }], chains: [] }));
  const argv = [join(ROOT, 'dist/cli/shoal.js'), 'load', '--tests', tests, '--target', o.url, '--rate', String(o.rate), '--duration', `${o.seconds}s`, '--connections', String(o.connections), '--json', out];
  writeFileSync(out, '');
  await run(process.execPath, argv, { timeout: (o.seconds + 60) * 1000, env: { ...process.env, SHOAL_LOG_LEVEL: 'warn' }, maxBuffer: 1 << 24 }).catch((err: Error & { stderr?: string }) => {
    // exit 1 with a summary still means a finished run (errors are counted in it)
    if (readFileSync(out, 'utf8') === '') throw new Error(`shoal load failed: ${err.stderr || err.message}`);
  });
  const s = JSON.parse(readFileSync(out, 'utf8')) as Summary;
  const c = s.latency.corrected;
  return { total: s.requests.total, errors: s.requests.errors, missed: s.requests.missed, achievedRps: s.rate.achieved, p50Ms: c.p50, p99Ms: c.p99, p999Ms: c.p999, rawP99Ms: s.latency.raw.p99 };
}
