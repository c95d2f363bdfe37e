import { readFile } from 'node:fs/promises';
import type { MemTotals } from './used-percent.js';

/**
 * MemTotal and MemAvailable of /proc/meminfo, in bytes (the file says kB); undefined when
 * either is missing (kernels before 3.14 have no MemAvailable).
 */
export function parseMeminfo(text: string): MemTotals | undefined {
  const kb = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  return total === undefined || available === undefined ? undefined : { total, available };
}

/**
 * This host's memory: on Linux straight from /proc/meminfo (one small read), elsewhere, or
 * on an old kernel, from systeminformation, loaded only then: it is a large library to
 * compile at every app server's boot for a figure one file holds.
 */
export async function hostMemory(): Promise<MemTotals> {
  if (process.platform === 'linux') {
    const m = parseMeminfo(await readFile('/proc/meminfo', 'utf8').catch(() => ''));
    if (m) return m;
  }
  const { default: si } = await import('systeminformation');
  return si.mem();
}
