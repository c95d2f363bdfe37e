import { spawnSync } from 'node:child_process';
import { ROOT } from './child-process.js';

/**
 * Builds dist/ with `npm run build` before a bench times anything, and exits 1 if the
 * build fails: a bench must never time a stale dist/ left from an older commit.
 * The compiler's output goes to stderr, so stdout stays the bench's report.
 */
export function buildOrExit(bench: string): void {
  process.stderr.write(`${bench}: npm run build…\n`);
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] });
  if (r.status === 0) return;
  process.stderr.write(`${bench}: the build failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}); not timing a stale dist/\n`);
  process.exit(1);
}
