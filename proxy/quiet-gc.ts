import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../lib/log.js';
import { collected, initialQuietGc, planQuietGc, type QuietGcSample } from './quiet-gc-plan.js';

// The shell of quiet-gc-plan.ts: samples the heap every half second and, when the plan says
// so, runs one full GC with compaction. Compaction moves what survived the burst off the pages
// it left half empty so that V8 can release them; a plain full GC frees the garbage but keeps
// every page. The collection blocks the proxy for tens of milliseconds, which is why it runs
// only once the proxy has been quiet, and at most twice per burst.

const mb = (bytes: number) => bytes / 2 ** 20;

function sample(activity: number): QuietGcSample {
  const spaces = getHeapSpaceStatistics();
  const size = (name: string) => mb(spaces.find((s) => s.space_name === name)?.space_size ?? 0);
  return { at: Date.now(), activity, youngMb: size('new_space'), oldMb: size('old_space') };
}

let gc: (() => void) | undefined;
/** V8's gc(), without --expose-gc on the command line: the flag is read when a context is made. */
function fullGc(): () => void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  return gc;
}

/** A full GC that evacuates every page; the flag is V8's, held only for this one collection. */
function compactingGc(): void {
  const run = fullGc();
  if (process.execArgv.includes('--compact-on-every-full-gc')) return run();
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    run();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/**
 * Gives the heap a burst left behind back once the proxy is quiet. `activity` is a running
 * total that moves with every request and accepted client. Returns what stops it.
 */
export function startQuietGc(activity: () => number, log: Logger, everyMs = 500): () => void {
  let state = initialQuietGc(sample(activity()));
  const timer = setInterval(() => {
    const s = sample(activity());
    const plan = planQuietGc(state, s);
    state = plan.state;
    if (plan.action !== 'compact') return;
    const started = performance.now();
    const rssBefore = process.memoryUsage.rss();
    compactingGc();
    const after = sample(activity());
    state = collected(state, after.oldMb);
    log.info(
      {
        ms: Math.round(performance.now() - started),
        youngMb: [s.youngMb, after.youngMb].map(Math.round),
        oldMb: [s.oldMb, after.oldMb].map(Math.round),
        rssMb: [mb(rssBefore), mb(process.memoryUsage.rss())].map(Math.round),
      },
      'memory: quiet after a busy spell, heap compacted',
    );
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
