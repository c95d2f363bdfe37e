import { loadavg } from 'node:os';

/** The middle value (mean of the two middle ones for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** "min–max" of the rounds, so a median is printed with the spread it came from. */
export function spread(xs: readonly number[], digits: number): string {
  return `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
}

/** A bench flag that must be a positive integer; `bad` prints one line and exits 2. */
export function positiveInt(flag: string, value: string, bad: (msg: string) => never): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) bad(`--${flag} must be a positive integer, got ${value}`);
  return n;
}

/** The 1-minute load average, to print beside figures taken on a shared machine. */
export function load1(): string {
  return loadavg()[0]!.toFixed(1);
}
