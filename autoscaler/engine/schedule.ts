import { parse as parseCron, validate as validCron } from 'node-cron';

/**
 * Scheduled scaling with the semantics of Auto Scaling scheduled actions: at each time its
 * cron recurrence names (in the schedule's time zone), an action sets min, max and/or
 * desired; the sizes stay until another action changes them. Pure: the daemon asks what is
 * due between two instants and applies it.
 */
export interface ScheduledAction {
  /** As given: `0 9 * * 1-5 min=4`. */
  text: string;
  cron: string;
  min?: number;
  max?: number;
  desired?: number;
}

export interface Sizes {
  min: number;
  max: number;
}

/** `CRON key=N…` with five cron fields and at least one of min, max, desired; throws a message naming the fault. */
export function parseScheduledAction(text: string): ScheduledAction {
  const parts = text.trim().split(/\s+/);
  const cron = parts.slice(0, 5).join(' ');
  if (parts.length < 6 || parts.slice(0, 5).some((p) => p.includes('=')) || !validCron(cron)) throw new Error(`expected "MIN HOUR DAY MONTH WEEKDAY min=N max=N desired=N" (five cron fields, then at least one size), got "${text}"`);
  const a: ScheduledAction = { text: text.trim().replace(/\s+/g, ' '), cron };
  for (const kv of parts.slice(5)) {
    const m = /^(min|max|desired)=(\d+)$/.exec(kv);
    if (!m) throw new Error(`expected min=N, max=N or desired=N, got "${kv}"`);
    a[m[1] as 'min' | 'max' | 'desired'] = Number(m[2]);
  }
  if (a.min !== undefined && a.max !== undefined && a.min > a.max) throw new Error(`min=${a.min} exceeds max=${a.max} in "${text}"`);
  if (a.desired !== undefined && ((a.min !== undefined && a.desired < a.min) || (a.max !== undefined && a.desired > a.max))) throw new Error(`desired=${a.desired} is outside min/max in "${text}"`);
  return a;
}

/** The offset of `tz` from UTC at instant `at`, in ms (Europe/Paris in summer: +7_200_000). */
function offsetMs(tz: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(at));
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(at / 1000) * 1000;
}

/** The instant a wall-clock time in `tz` stands for (in a DST gap: the instant an hour later, as clocks read after the jump). */
function instantOf(tz: string, y: number, mo: number, d: number, h: number, mi: number): number {
  const wall = Date.UTC(y, mo, d, h, mi);
  let at = wall - offsetMs(tz, wall);
  at = wall - offsetMs(tz, at);
  return at;
}

export function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const FULL_DOM = 31;
const FULL_DOW = 7;

/** The first instant strictly after `after` at which `cron` fires in `tz`; searched up to 5 years ahead (29 February). */
export function nextRun(cron: string, tz: string, after: number): number | undefined {
  const f = parseCron(cron);
  const minutes = [...f.minute].sort((a, b) => a - b);
  const hours = [...f.hour].sort((a, b) => a - b);
  const dom = new Set(f.dayOfMonth.map(Number));
  const dow = new Set(f.dayOfWeek.map((d) => Number(d) % 7));
  // Unix cron: when both day fields are restricted, either may match.
  const domAny = dom.size >= FULL_DOM;
  const dowAny = dow.size >= FULL_DOW;
  const local = new Date(after + offsetMs(tz, after));
  for (let k = 0; k < 366 * 5; k++) {
    const day = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + k));
    const y = day.getUTCFullYear();
    const mo = day.getUTCMonth();
    const d = day.getUTCDate();
    if (!f.month.includes(mo + 1)) continue;
    const byDom = dom.has(d);
    const byDow = dow.has(day.getUTCDay());
    if (!(domAny && dowAny) && !(domAny ? byDow : dowAny ? byDom : byDom || byDow)) continue;
    for (const h of hours) {
      for (const mi of minutes) {
        const at = instantOf(tz, y, mo, d, h, mi);
        if (at > after) return at;
      }
    }
  }
  return undefined;
}

/** Every firing in (from, to], in time order (ties: in the order given). */
export function due(actions: readonly ScheduledAction[], tz: string, from: number, to: number): { action: ScheduledAction; at: number }[] {
  const out: { action: ScheduledAction; at: number; n: number }[] = [];
  actions.forEach((action, n) => {
    for (let at = nextRun(action.cron, tz, from); at !== undefined && at <= to; at = nextRun(action.cron, tz, at)) out.push({ action, at, n });
  });
  return out.sort((a, b) => a.at - b.at || a.n - b.n).map(({ action, at }) => ({ action, at }));
}

/** The next `count` firings after `now` across every action, soonest first: what status shows. */
export function upcoming(actions: readonly ScheduledAction[], tz: string, now: number, count: number): { text: string; at: number }[] {
  const out: { text: string; at: number }[] = [];
  for (const a of actions) {
    let at: number | undefined = now;
    for (let k = 0; k < count && (at = nextRun(a.cron, tz, at)) !== undefined; k++) out.push({ text: a.text, at });
  }
  return out.sort((x, y) => x.at - y.at).slice(0, count);
}

/**
 * The sizes after an action, as Auto Scaling applies one: min and max as given (a min above
 * the max raises the max, a max below the min lowers the min), and desired, if given,
 * clamped into them.
 */
export function applyAction(s: Sizes, a: ScheduledAction): Sizes & { desired?: number; changes: string } {
  let min = a.min ?? s.min;
  let max = a.max ?? s.max;
  if (a.min !== undefined && min > max) max = min;
  if (a.max !== undefined && max < min) min = max;
  const changes = [min !== s.min ? `min ${s.min}→${min}` : '', max !== s.max ? `max ${s.max}→${max}` : ''].filter(Boolean);
  const out: Sizes & { desired?: number; changes: string } = { min, max, changes: '' };
  if (a.desired !== undefined) {
    out.desired = Math.min(max, Math.max(min, a.desired));
    changes.push(`desired ${out.desired}`);
  }
  out.changes = changes.join(', ') || 'no change';
  return out;
}
