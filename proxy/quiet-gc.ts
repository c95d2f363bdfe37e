import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../lib/log.js';
import { collected, initialQuietGc, planQuietGc, type QuietGcSample } from './quiet-gc-plan.js';
import { userSetV8Flag } from './user-v8-flags.js';

// The shell of quiet-gc-plan.ts: samples the heap every half second and, when the plan says
// so, runs one full GC that gives memory back. It compacts: moves what survived the burst off
// the pages it left half empty so that V8 can release them (a plain full GC frees the garbage
// but keeps every page). The collection blocks the proxy for tens of milliseconds, which is why it runs
// only once the proxy has been quiet, and at most twice per burst.

const mb = (bytes: number) => bytes / 2 ** 20;

function sample(activity: number): QuietGcSample {
  const spaces = getHeapSpaceStatistics();
  const size = (name: string) => mb(spaces.find((s) => s.space_name === name)?.space_size ?? 0);
  return { at: Date.now(), activity, youngMb: size('new_space'), oldMb: size('old_space') };
}

type Gc = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
let gc: Gc | undefined;
/** V8's gc(), without --expose-gc on the command line: the flag is read when a context is made. */
function fullGc(): Gc {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  }
  return gc;
}

/**
 * V8 12 and later (Node 22+) take a memory-reducing flavor of gc(): the collection V8 runs
 * itself under memory pressure, which compacts, releases the freed pages and shrinks the
 * young generation at once. V8 11 (Node 20) ignores the flavor; there the compaction comes
 * from V8's flag, and the young generation shrinks at the next quiet collection. (The flag
 * on V8 13 made it worse: the evacuated pages stay pooled, RSS rose 147 → 174 MB.)
 */
const hasLastResort = Number(process.versions.v8.split('.')[0]) >= 12;

/** A full GC that gives memory back: compacting, and, where V8 can, shrinking everything it may. */
function reducingGc(): void {
  const run = fullGc();
  if (hasLastResort) return run({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  if (userSetV8Flag(/--compact-on-every-full-gc/)) return run();
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
    reducingGc();
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
