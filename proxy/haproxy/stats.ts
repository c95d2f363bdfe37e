import { BACKEND } from './config.js';
import { twinOf } from './pool-diff.js';

// Pure: HAProxy's `show stat` CSV → the figures shoal publishes. HAProxy's counters start
// over when it restarts and vanish with a deleted server, so offered and served are kept as
// running totals of the increases shoal has seen: they never go back.

/** One server row of `show stat`, the part shoal reads. */
export interface ServerStat {
  name: string;
  /** Requests being served (HAProxy's current sessions). */
  inflight: number;
  /** Requests waiting for a connection slot. */
  queued: number;
  /** HAProxy's status column: UP, DOWN, MAINT, DRAIN, NOLB, `UP 1/2`, `no check`… */
  status: string;
  /** Responses this server sent, every status class. */
  answered: number;
}

export interface StatSnapshot {
  /** Requests the frontends received, shoal's own answers (503, 404) included. */
  offered: Map<string, number>;
  servers: ServerStat[];
}

const ANSWER_COLUMNS = ['hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other'];

export function parseStat(csv: string): StatSnapshot {
  const lines = csv.split('\n');
  const header = lines[0]?.replace(/^# /, '').split(',') ?? [];
  const col = new Map(header.map((h, i) => [h, i]));
  const num = (f: string[], name: string) => Number(f[col.get(name) ?? -1] || 0);
  const snap: StatSnapshot = { offered: new Map(), servers: [] };
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const f = line.split(',');
    const [px, sv] = [f[0]!, f[1]!];
    // frontend rows: the client side of every listener shoal configured
    if (sv === 'FRONTEND' && px.startsWith('shoal')) snap.offered.set(px, num(f, 'req_tot'));
    else if (px === BACKEND && sv !== 'BACKEND') {
      snap.servers.push({
        name: sv,
        inflight: num(f, 'scur'),
        queued: num(f, 'qcur'),
        status: f[col.get('status') ?? -1] ?? '',
        answered: ANSWER_COLUMNS.reduce((a, c) => a + num(f, c), 0),
      });
    }
  }
  return snap;
}

/**
 * For fail open (fail-open.ts), from the server rows: `ready` counts the servers whose twin
 * may take requests (neither drained nor in maintenance: the twins of ready servers),
 * `passing` the servers HAProxy sends to (UP, `UP 1/2` on their way down, unchecked). HAProxy
 * routes to the twins exactly when none passes and some are ready. Without checks there are
 * no twins, and nothing to fail open to.
 */
export function readyAndPassing(servers: readonly ServerStat[]): { ready: number; passing: number } {
  let ready = 0;
  let passing = 0;
  for (const s of servers) {
    if (twinOf(s.name) !== undefined) {
      if (!/^(MAINT|DRAIN)/.test(s.status)) ready++;
    } else if (/^(UP|no check)/.test(s.status)) passing++;
  }
  return { ready, passing };
}

/**
 * One row per app server: a twin's figures (in flight, queued, answered) added to its
 * server's, whose status stands for both. A twin whose server is already deleted stands alone.
 */
export function mergeTwins(servers: readonly ServerStat[]): ServerStat[] {
  const out = new Map<string, ServerStat>();
  for (const s of servers) {
    const of = twinOf(s.name);
    const name = of ?? s.name;
    const cur = out.get(name);
    if (!cur) {
      out.set(name, { ...s, name });
      continue;
    }
    const checked = of === undefined ? s : cur;
    out.set(name, { ...checked, name, inflight: cur.inflight + s.inflight, queued: cur.queued + s.queued, answered: cur.answered + s.answered });
  }
  return [...out.values()];
}

/** A counter that only goes up, fed with counters that may restart from zero or disappear. */
export class RunningTotal {
  total = 0;
  private last = new Map<string, number>();

  /** Takes the current value of every source counter; a source missing from `now` is forgotten. */
  observe(now: ReadonlyMap<string, number>): number {
    const next = new Map<string, number>();
    for (const [key, v] of now) {
      const prev = this.last.get(key);
      // a value below the last one is a counter that started over: all of it is new
      this.total += prev === undefined || v < prev ? v : v - prev;
      next.set(key, v);
    }
    this.last = next;
    return this.total;
  }
}
