import type { TotalSample } from './types.js';

/**
 * Adds a reading to a server's (or proxy's) recent samples, oldest first. A reading with the
 * same timestamp adds nothing (the writer has not flushed since); a new boot id or a lower
 * total starts the list over, so a restart never reads as a negative rate.
 */
export function addSample(samples: readonly TotalSample[], s: TotalSample, keepMs: number): TotalSample[] {
  const last = samples[samples.length - 1];
  if (last && last.at === s.at && last.bootId === s.bootId) return samples.slice();
  const restart = last && (last.bootId !== s.bootId || s.total < last.total || s.at < last.at);
  const kept = restart ? [] : samples.filter((x) => x.at >= s.at - keepMs);
  kept.push(s);
  return kept;
}

/**
 * Requests/s between the newest reading and the newest one at least `windowMs` older (or the
 * oldest we have, if none is that old). Undefined without two readings of the same boot.
 */
export function shortRate(samples: readonly TotalSample[] | undefined, windowMs: number): number | undefined {
  if (!samples || samples.length < 2) return undefined;
  const b = samples[samples.length - 1]!;
  let a: TotalSample | undefined;
  for (let i = samples.length - 2; i >= 0; i--) {
    const x = samples[i]!;
    if (x.bootId !== b.bootId || x.total > b.total) break;
    a = x;
    if (b.at - x.at >= windowMs) break;
  }
  if (!a || b.at <= a.at) return undefined;
  return ((b.total - a.total) * 1000) / (b.at - a.at);
}
