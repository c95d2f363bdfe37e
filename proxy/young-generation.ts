import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { userSetV8Flag } from './user-v8-flags.js';

// V8's young generation grows, by default, to two 16 MiB semi-spaces under a burst of
// allocation (a flood of connections, a traffic peak) and never gives them back: 32 MiB of a
// proxy's RSS. Its size flags (--max-semi-space-size) only take effect at start-up, and the
// proxy must not need the user to pass them. One flag V8 reads at every growth can be set from
// inside a running process: --semi-space-growth-factor (SemiSpaceNewSpace::Grow multiplies
// the capacity by it; 1 means the young generation stays as it is). So the proxy holds it at
// its initial 1 MiB semi-spaces while it starts, and once it serves lets it grow by steps
// that land at most on the cap.

/**
 * Each of the two semi-spaces at most this big (Node's default cap is 16). In an A/B at peak
 * (wrk -c64), 8 MiB cost no CPU per request measurable against 16; 4 MiB cost ~20 % more and
 * 1 MiB ~40 % more: smaller semi-spaces scavenge more often and promote more to the old one.
 */
const SEMI_SPACE_CAP_MB = 8;

/** The flags that size the young generation: a user who passes one keeps their size. */
export const YOUNG_SIZING = /--(?:max|min)-semi-space-size|--semi-space-growth-factor/;

/**
 * One semi-space's usable capacity in MiB (used + available: a little under its nominal
 * size, for page headers). Not the committed size halved: V8 commits the second semi-space
 * lazily, and half of one would read as a quarter of the young generation and overshoot.
 */
function semiSpaceMb(): number {
  const s = getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
  return s ? (s.space_used_size + s.space_available_size) / 2 ** 20 : 0;
}

const growthFactor = (n: number) => setFlagsFromString(`--semi-space-growth-factor=${n}`);

/** Start-up: the young generation keeps its initial size (module loading only fills the old one). */
export function holdYoungGeneration(): void {
  if (!userSetV8Flag(YOUNG_SIZING)) growthFactor(1);
}

/**
 * Serving: the young generation may grow, each step landing at most on the cap, and no
 * further once there. Checked after every GC, not once: V8 shrinks the young generation
 * again when the proxy goes quiet (its memory reducer), and it must be able to regrow. GC
 * entries arrive on the next turn of the event loop, long before enough survives another
 * scavenge to grow again.
 */
export function capYoungGeneration(capMb = SEMI_SPACE_CAP_MB): void {
  if (userSetV8Flag(YOUNG_SIZING)) return;
  let factor = 1;
  const fit = () => {
    const semiMb = semiSpaceMb();
    const want = semiMb > 0 && semiMb < capMb ? Math.max(1, Math.floor(capMb / semiMb)) : 1;
    if (want !== factor) growthFactor((factor = want));
  };
  new PerformanceObserver(fit).observe({ entryTypes: ['gc'] });
  fit();
}
