import { ShoalError } from '../lib/errors.js';

/** Host memory as the memory monitor needs it, in bytes (the fields of systeminformation's mem() of the same names). */
export interface MemTotals {
  total: number;
  available: number;
}

/**
 * Host memory in use as a percentage: (total − available) / total × 100. "available"
 * (MemAvailable) counts reclaimable page cache as free, which is what an operator means.
 */
export function usedPercent(m: MemTotals): number {
  if (!(m.total > 0) || !(m.available >= 0)) {
    throw new ShoalError('SHOAL_ERR_MEM_READING', `unusable memory reading: total ${m.total}, available ${m.available}`);
  }
  const used = ((m.total - Math.min(m.available, m.total)) / m.total) * 100;
  return Math.round(used * 100) / 100;
}
