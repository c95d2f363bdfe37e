import { isLive, type Server } from '../fleet/server.js';

/** What `shoal chaos monkey` was told, checked at the edge. */
export interface MonkeyConfig {
  /** Kills come this far apart on average (a Poisson process: no pattern to plan around). */
  meanMs: number;
  /** Local hours kills may happen in, `from` included, `to` excluded (9-17: 09:00 to 16:59). */
  hours: { from: number; to: number };
  /** Monday to Friday only. */
  weekdays: boolean;
  /** IANA time zone of the hours and days; the machine's when absent. */
  tz?: string;
  /** Only servers carrying this tag may be killed: services opt in. */
  tag: string;
  /** Never kill when this many live servers or fewer are left. */
  minReady: number;
}

/**
 * Pure: the node-cron schedule of the monkey's ticks. The hours and weekdays are cron fields,
 * so outside them nothing runs at all; a tick is a second for means under ten minutes and a
 * minute above, small enough next to the mean that kills stay close to a Poisson process.
 */
export function tickSchedule(c: Pick<MonkeyConfig, 'meanMs' | 'hours' | 'weekdays'>): { cron: string; tickMs: number } {
  const tickMs = c.meanMs < 600_000 ? 1000 : 60_000;
  const hours = c.hours.from === 0 && c.hours.to === 24 ? '*' : c.hours.to - c.hours.from === 1 ? String(c.hours.from) : `${c.hours.from}-${c.hours.to - 1}`;
  const days = c.weekdays ? '1-5' : '*';
  return { cron: `${tickMs === 1000 ? '*' : '0'} * ${hours} * * ${days}`, tickMs };
}

/** Pure: the chance one tick kills, for kills `meanMs` apart on average. */
export function killChance(tickMs: number, meanMs: number): number {
  return 1 - Math.exp(-tickMs / meanMs);
}

/** Pure: `9-17` → hours; a message naming what is wrong otherwise. */
export function parseHours(text: string): { from: number; to: number } | string {
  const m = /^(\d{1,2})-(\d{1,2})$/.exec(text.trim());
  if (!m) return 'expected FROM-TO hours like 9-17';
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (from > 23 || to > 24 || from >= to) return 'expected 0 ≤ FROM < TO ≤ 24, like 9-17';
  return { from, to };
}

export interface TickInput {
  servers: readonly Server[];
  now: number;
  /** Ids the monkey killed lately: gone already, even before the registry says so. */
  killedLately: ReadonlySet<string>;
  /** Two uniform draws in [0, 1): does this tick kill, and whom. */
  roll: number;
  pick: number;
  chance: number;
}

export type TickDecision = { kill: Server; reason: string } | { kill?: undefined; reason: string; idle?: true };

/** Pure: one tick — kill now, and whom — with the reason, in words. */
export function decideTick(c: Pick<MonkeyConfig, 'tag' | 'minReady'>, t: TickInput): TickDecision {
  if (t.roll >= t.chance) return { reason: 'not this tick', idle: true };
  const live = t.servers.filter((s) => isLive(s, t.now) && !t.killedLately.has(s.id));
  if (live.length <= c.minReady) return { reason: `${live.length} live server(s), --min-ready ${c.minReady}: no kill` };
  const opted = live.filter((s) => s.tags?.includes(c.tag));
  if (!opted.length) return { reason: `no live server carries the opt-in tag ${c.tag}` };
  const victim = opted[Math.min(opted.length - 1, Math.floor(t.pick * opted.length))]!;
  return { kill: victim, reason: `random pick of ${opted.length} opted-in server(s); ${live.length - 1} live left (--min-ready ${c.minReady})` };
}
