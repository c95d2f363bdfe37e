import { totalDelta, type RequestStats } from '../fleet/index.js';

/**
 * Requests per second between two readings of a server's hash, from the absolute totals
 * and updated_at. A new boot id or a lower total is a reset (totalDelta counts from zero).
 * Undefined when the readings are not in time order or are the same write.
 */
export function requestRate(
  prev: Pick<RequestStats, 'bootId' | 'total' | 'updatedAt'> | undefined,
  cur: Pick<RequestStats, 'bootId' | 'total' | 'updatedAt'>,
): number | undefined {
  if (!prev) return undefined;
  const seconds = (cur.updatedAt - prev.updatedAt) / 1000;
  if (!(seconds > 0)) return undefined;
  return totalDelta(prev, cur) / seconds;
}
