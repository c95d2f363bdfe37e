import t from 'tap';
import { engineConfig, emptyHistory, type EngineSettings } from '../../autoscaler/engine/config.js';
import { decide } from '../../autoscaler/engine/decide.js';
import type { History, ProxyInput, ServerInput } from '../../autoscaler/engine/types.js';
import type { ServerState } from '../../fleet/index.js';

const NOW = 1_000_000;
const cfg = (s: Partial<EngineSettings> = {}) => engineConfig({ min: 1, max: 10, intervalMs: 5000, targetRps: 50, ...s });

interface S {
  state?: ServerState;
  /** Requests/s over the last second, from two total samples. */
  rps?: number;
  /** The monitor's 10 s average (used when there are no samples). */
  avg?: number;
  age?: number;
  readyFor?: number;
  statsAge?: number;
  heartbeatAge?: number;
  provider?: ServerInput['provider'];
  memory?: number;
  host?: string;
  inflight?: number;
  zone?: string;
}

function srv(id: string, o: S = {}): ServerInput {
  const launchedAt = NOW - (o.age ?? 600_000);
  const rps = o.rps;
  const updatedAt = NOW - (o.statsAge ?? 0);
  return {
    server: {
      id,
      address: `127.0.0.1:${id.length}`,
      state: o.state ?? 'ready',
      provider: 'local',
      instanceId: `pid-${id}`,
      host: o.host ?? 'h1',
      zone: o.zone ?? '',
      launchedAt,
      heartbeatAt: NOW - (o.heartbeatAge ?? 0),
      stateChangedAt: NOW - (o.readyFor ?? 300_000),
      bootId: `b-${id}`,
    },
    stats:
      o.state === 'launching'
        ? undefined
        : { serverId: id, bootId: `b-${id}`, total: 10_000, s2xx: 0, s3xx: 0, s4xx: 0, s5xx: 0, inflight: o.inflight ?? 0, rps: o.avg ?? rps ?? 0, p50Ms: 1, p95Ms: 2, updatedAt },
    samples:
      rps === undefined
        ? undefined
        : [
            { at: updatedAt - 1000, total: 10_000 - rps, bootId: `b-${id}` },
            { at: updatedAt, total: 10_000, bootId: `b-${id}` },
          ],
    memory: o.memory === undefined ? undefined : { serverId: id, usedPercent: o.memory, hostId: o.host ?? 'h1', rssBytes: 0, load1: 0, updatedAt },
    provider: o.provider ?? 'alive',
  };
}

function proxy(offeredRps: number, heartbeatAge = 0): ProxyInput {
  const at = NOW - heartbeatAge;
  return {
    info: { id: 'p1', address: '', adminAddress: '', heartbeatAt: at, appliedPoolVersion: 1, offeredTotal: 5000, servedTotal: 5000, offeredRps, servedRps: offeredRps, bootId: 'pb' },
    samples: [
      { at: at - 1000, total: 5000 - offeredRps, bootId: 'pb' },
      { at, total: 5000, bootId: 'pb' },
    ],
  };
}

function run(servers: ServerInput[], o: { proxies?: ProxyInput[]; history?: History; now?: number; config?: Partial<EngineSettings>; incomplete?: string } = {}) {
  return decide({ now: o.now ?? NOW, config: cfg(o.config), servers, proxies: o.proxies ?? [], ...(o.incomplete ? { incomplete: o.incomplete } : {}) }, o.history ?? emptyHistory());
}

/** A history whose window holds `desired` recommended `agoMs` ago. */
const recommended = (desired: number, agoMs: number): History => ({ ...emptyHistory(), recommendations: [{ at: NOW - agoMs, desired }] });

t.test('desired = ceil(demand / target) per metric, clamped', async (t) => {
  const cases: [string, ServerInput[], Partial<EngineSettings>, number, string][] = [
    ['one server at 5× the target → 5 in one decision', [srv('a', { rps: 250 })], {}, 5, 'scale-out'],
    ['three servers summing 260 req/s → 6', [srv('a', { rps: 90 }), srv('b', { rps: 90 }), srv('c', { rps: 80 })], {}, 6, 'scale-out'],
    ['demand over max is capped at max', [srv('a', { rps: 900 })], { max: 3 }, 3, 'max'],
    ['no target set: hold', [srv('a', { rps: 900 }), srv('b')], { targetRps: 0 }, 2, 'no-metrics'],
    ['exactly on target: steady', [srv('a', { rps: 50 }), srv('b', { rps: 50 })], {}, 2, 'tolerance'],
  ];
  for (const [name, servers, c, desired, rule] of cases) {
    const { decision } = run(servers, { config: c });
    t.equal(decision.desired, desired, `${name}: desired`);
    t.equal(decision.rule, rule, `${name}: rule`);
    t.equal(decision.launch, Math.max(0, desired - servers.length), `${name}: launch`);
  }
});

t.test('tolerance band: within ±10 % of the target nothing changes', async (t) => {
  const table: [number, string, number][] = [
    [108, 'tolerance', 2],
    [92, 'tolerance', 2],
    [112, 'scale-out', 3],
  ];
  for (const [total, rule, desired] of table) {
    const { decision } = run([srv('a', { rps: total / 2 }), srv('b', { rps: total / 2 })]);
    t.equal(decision.rule, rule, `${total} req/s on 2 × 50`);
    t.equal(decision.desired, desired);
  }
  const wide = run([srv('a', { rps: 60 }), srv('b', { rps: 60 })], { config: { tolerance: 0.25 } }).decision;
  t.equal(wide.rule, 'tolerance', 'a wider band holds 120 %');
});

t.test('the short window sees a step the 10 s average has not caught up with', async (t) => {
  const { decision } = run([srv('a', { rps: 250, avg: 70 })]);
  t.equal(decision.desired, 5);
  const noSamples = run([{ ...srv('a', { avg: 70 }), samples: undefined }]).decision;
  t.equal(noSamples.desired, 2, 'without two samples the monitor average is used');
});

t.test("demand is the proxies' offered rate when they report it: saturated servers do not hide it", async (t) => {
  const { decision } = run([srv('a', { rps: 100 })], { proxies: [proxy(200)] });
  t.equal(decision.desired, 4);
  t.match(decision.explanation.metrics[0], { metric: 'rps', demand: 200, source: /offered rate of 1 proxy/ });
  t.equal(decision.explanation.proxies.offeredRps, 200);
  const direct = run([srv('a', { rps: 240 })], { proxies: [proxy(100)] }).decision;
  t.equal(direct.desired, 5, 'traffic that bypasses the proxies still counts (the larger demand wins)');
  const stale = run([srv('a', { rps: 100 })], { proxies: [proxy(400, 60_000)] }).decision;
  t.equal(stale.desired, 2, 'a proxy that stopped reporting is ignored');
});

t.test('scale out if any metric says so; scale in only if all agree', async (t) => {
  const memHigh = run([srv('a', { rps: 50, memory: 90 }), srv('b', { rps: 50, memory: 90, host: 'h2' })], { config: { targetMemory: 60 } }).decision;
  t.equal(memHigh.desired, 3, 'memory alone scales out: ceil(2 × 90 / 60)');
  t.equal(memHigh.rule, 'scale-out');
  const memHolds = run([srv('a', { rps: 5, memory: 65 }), srv('b', { rps: 5, memory: 65, host: 'h2' })], { config: { targetMemory: 60 } }).decision;
  t.equal(memHolds.desired, 2, 'rps says 1 but memory disagrees: no scale-in');
  const inflight = run([srv('a', { rps: 10, inflight: 30 })], { config: { targetInflight: 10 } }).decision;
  t.equal(inflight.desired, 3, 'in-flight target: ceil(30 / 10)');
});

t.test('memory: a host is counted once however many servers share it', async (t) => {
  // Three servers on one host at 90 % and one on another at 30 %: the hosts average 60 %.
  const servers = [
    srv('a', { rps: 50, memory: 90 }),
    srv('b', { rps: 50, memory: 90 }),
    srv('c', { rps: 50, memory: 90 }),
    srv('d', { rps: 50, memory: 30, host: 'h2' }),
  ];
  const { decision } = run(servers, { config: { targetMemory: 60 } });
  const mem = decision.explanation.metrics.find((m) => m.metric === 'memory')!;
  t.match(mem, { source: /2 hosts, average 60 %/, withinTolerance: true, desired: 4 });
});

t.test('launching and warming servers count as capacity but their metrics are left out', async (t) => {
  const servers = [srv('a', { rps: 250 }), srv('b', { state: 'launching', age: 5000 }), srv('c', { state: 'launching', age: 5000 }), srv('d', { state: 'launching', age: 5000 }), srv('e', { rps: 0, readyFor: 2000 })];
  const { decision } = run(servers);
  t.equal(decision.current, 5);
  t.equal(decision.desired, 5, 'no double scale-up while capacity boots');
  t.equal(decision.launch, 0);
  t.same(decision.explanation.counts, { ready: 1, warming: 1, launching: 3, draining: 0, stale: 0, dead: 0 });
  const idle = run([srv('a', { rps: 5 }), srv('b', { state: 'launching', age: 5000 })], { history: recommended(1, 120_000) }).decision;
  t.equal(idle.rule, 'booting-no-scale-in', 'no scale-in while a server boots: its share of the load is unseen');
});

t.test('scale-up policy: the larger of +100 % and +4 per period', async (t) => {
  const table: [number, number, number][] = [
    // [servers, demand req/s, expected desired]
    [1, 1000, 5],
    [2, 1000, 6],
    [6, 2000, 12],
  ];
  for (const [n, demand, want] of table) {
    const servers = Array.from({ length: n }, (_, i) => srv(`s${i}`, { rps: demand / n }));
    const d = run(servers, { config: { max: 100 } }).decision;
    t.equal(d.desired, want, `${n} servers at ${demand} req/s`);
    t.equal(d.explanation.limit, want);
  }
  const h: History = { ...emptyHistory(), actions: [{ at: NOW - 1000, delta: 4 }] };
  const servers = [srv('a', { rps: 1000 }), ...['b', 'c', 'd', 'e'].map((id) => srv(id, { state: 'launching', age: 1000 }))];
  t.equal(run(servers, { history: h, config: { max: 100 } }).decision.desired, 5, 'within the same period the start count is what it was before');
});

t.test('scale-in: only after the stabilization window, to its highest recommendation, at a policy rate', async (t) => {
  const low = () => [srv('a', { rps: 10 }), srv('b', { rps: 10 }), srv('c', { rps: 10 }), srv('d', { rps: 10 })];
  const early = run(low(), { history: recommended(4, 30_000) }).decision;
  t.equal(early.rule, 'stabilizing');
  t.equal(early.desired, 4);
  t.equal(early.explanation.stabilized, 4);
  const mid = run(low(), { history: recommended(3, 30_000) }).decision;
  t.equal(mid.rule, 'scale-in');
  t.equal(mid.desired, 3, 'to the highest recommendation in the window');
  t.equal(mid.remove.length, 1);
  const late = run(low(), { history: recommended(4, 61_000) }).decision;
  t.equal(late.rule, 'scale-in');
  t.equal(late.desired, 2, 'at most 50 % per period');
  t.equal(late.remove.length, 2);
  const after = run(low(), { history: { ...recommended(4, 61_000), actions: [{ at: NOW - 1000, delta: -4 }] } }).decision;
  t.equal(after.desired, 4, 'the period already removed its share');
  t.equal(after.remove.length, 0);
  const wholeCut = run(low(), { history: recommended(4, 61_000), config: { scaleDown: { percent: 100, servers: 1, periodMs: 5000 } } }).decision;
  t.equal(wholeCut.desired, 1);
});

t.test("an incomplete listing (a new leader's book not yet confirmed) never scales in, even above max; it may scale out", async (t) => {
  const idle = [srv('a', { rps: 1 }), srv('b', { rps: 1 }), srv('c', { rps: 1 })];
  const history = recommended(1, 61_000);
  t.match(run(idle, { history }).decision, { rule: 'scale-in', action: 'scale-in' }, 'complete: the idle fleet scales in');
  const held = run(idle, { history, incomplete: 'the first full listing is under way' }).decision;
  t.match(held, { rule: 'listing-no-scale-in', desired: 3, remove: [] }, 'incomplete: held');
  t.match(held.reason, /first full listing is under way/, 'the reason says why');
  t.match(run(idle, { incomplete: 'x', config: { max: 2 } }).decision, { rule: 'listing-no-scale-in', desired: 3 }, 'not even down to max');
  t.match(run([srv('a', { rps: 250 })], { incomplete: 'x' }).decision, { rule: 'scale-out', desired: 5 }, 'a scale-out is decided on the registry');
});

t.test('scale-in removes the least-loaded newest servers, launching ones first, never foreign ones', async (t) => {
  const servers = [
    srv('old-idle', { rps: 1, age: 900_000 }),
    srv('new-idle', { rps: 1.05, age: 100_000 }),
    srv('busy', { rps: 20, age: 50_000 }),
    srv('manual', { rps: 0, age: 10_000, provider: 'unknown' }),
  ];
  const d = run(servers, { history: recommended(1, 61_000), config: { scaleDown: { percent: 100, servers: 1, periodMs: 5000 } } }).decision;
  t.same(d.remove, ['new-idle', 'old-idle', 'busy']);
  const withLaunching = run([...servers.slice(0, 3), srv('boot', { state: 'launching', age: 1000 })], { history: recommended(1, 61_000), config: { scaleDown: { percent: 100, servers: 1, periodMs: 5000 } } }).decision;
  t.equal(withLaunching.rule, 'booting-no-scale-in');
  t.same(run(servers.slice(0, 3), { history: recommended(2, 61_000) }).decision.remove, ['new-idle']);
});

t.test('scale-in takes from the fullest zone first, keeping the fleet spread', async (t) => {
  const oneDown = { history: recommended(1, 61_000), config: { scaleDown: { percent: 100, servers: 1, periodMs: 5000 } } };
  const cases: [string, ServerInput[], number, string[]][] = [
    [
      'the fullest zone loses its least-loaded newest server, although a lighter one is elsewhere',
      [srv('a1', { rps: 2, zone: 'a', age: 9000 }), srv('a2', { rps: 2, zone: 'a', age: 8000 }), srv('b1', { rps: 0, zone: 'b', age: 1000 })],
      2,
      ['a2'],
    ],
    [
      'zones are recounted after each pick: 3/2/1 → 2/2/1 → 2/1/1',
      [srv('a1', { rps: 1, zone: 'a' }), srv('a2', { rps: 1, zone: 'a' }), srv('a3', { rps: 1, zone: 'a' }), srv('b1', { rps: 1, zone: 'b' }), srv('b2', { rps: 1, zone: 'b' }), srv('c1', { rps: 1, zone: 'c' })],
      4,
      ['a3', 'b2'],
    ],
    [
      "foreign servers count toward a zone's size but are not removed",
      [srv('m1', { rps: 1, zone: 'b', provider: 'unknown' }), srv('m2', { rps: 1, zone: 'b', provider: 'unknown' }), srv('a1', { rps: 1, zone: 'a' }), srv('b1', { rps: 1, zone: 'b' })],
      3,
      ['b1'],
    ],
  ];
  for (const [name, servers, desired, want] of cases) {
    const d = run(servers, { ...oneDown, history: recommended(desired, 1000) }).decision;
    t.same(d.remove, want, name);
  }
});

t.test('min and max are hard bounds', async (t) => {
  const empty = run([], { config: { min: 2 } }).decision;
  t.match(empty, { rule: 'min', desired: 2, launch: 2, current: 0 });
  const over = run([srv('a', { rps: 50 }), srv('b', { rps: 50 }), srv('c', { rps: 50 })], { config: { max: 2 } }).decision;
  t.match(over, { rule: 'max', desired: 2 });
  t.equal(over.remove.length, 1);
  const idle = run([srv('a', { rps: 0 })], { config: { min: 1 } }).decision;
  t.match(idle, { desired: 1, action: 'none', rule: 'min' });
  t.match(idle.reason, /^hold 1, the minimum: rps: ceil\(0 req\/s \/ 50\) = 0$/);
  const atMax = run([srv('a', { rps: 200 }), srv('b', { rps: 200 })], { config: { max: 2 } }).decision;
  t.match(atMax, { desired: 2, action: 'none', rule: 'max' });
});

t.test('stale or missing metrics never cause a scale-in; more than half stale → hold', async (t) => {
  const oneStale = [srv('a', { rps: 5 }), srv('b', { rps: 5 }), srv('c', { rps: 5, statsAge: 20_000 })];
  const d1 = run(oneStale, { history: recommended(1, 120_000) }).decision;
  t.equal(d1.rule, 'stale-no-scale-in');
  t.equal(d1.remove.length, 0);
  t.equal(d1.explanation.counts.stale, 1);
  const missing = [srv('a', { rps: 5 }), { ...srv('b'), stats: undefined, samples: undefined }];
  t.equal(run(missing, { history: recommended(1, 120_000) }).decision.rule, 'stale-no-scale-in', 'missing stats count as stale');
  const blip = [srv('a', { rps: 500, statsAge: 20_000, heartbeatAge: 20_000 }), srv('b', { rps: 500, statsAge: 20_000, heartbeatAge: 20_000 }), srv('c', { rps: 500 })];
  const d2 = run(blip).decision;
  t.match(d2, { rule: 'stale-hold', desired: 3, launch: 0, dead: [] }, 'a Redis blip does not look like a dead fleet, and does not scale out on partial data');
  t.match(d2.reason, /2 of 3 ready servers have stale metrics/);
  const scaleOut = run([srv('a', { rps: 500 }), srv('b', { rps: 500 }), srv('c', { rps: 5, statsAge: 20_000 })]).decision;
  t.equal(scaleOut.rule, 'scale-out', 'a minority of stale servers does not stop a scale-out');
});

t.test('dead: the provider says gone, or stuck launching; replaced, not counted', async (t) => {
  const cases: [string, ServerInput, string | undefined][] = [
    ['stale heartbeat, process gone', srv('x', { heartbeatAge: 30_000, statsAge: 30_000, provider: 'gone' }), 'heartbeat-lost'],
    ['stale heartbeat, process alive (blip)', srv('x', { heartbeatAge: 30_000, statsAge: 30_000, provider: 'alive' }), undefined],
    ['fresh heartbeat, process gone (just exited)', srv('x', { rps: 50, provider: 'gone' }), 'exited'],
    ['launching past the boot timeout', srv('x', { state: 'launching', age: 61_000 }), 'boot-timeout'],
    ['launching, process exited', srv('x', { state: 'launching', age: 2000, provider: 'gone' }), 'boot-exit'],
    ['launching within the boot timeout', srv('x', { state: 'launching', age: 30_000 }), undefined],
    ['stale heartbeat, foreign server', srv('x', { heartbeatAge: 30_000, statsAge: 30_000, provider: 'unknown' }), undefined],
  ];
  for (const [name, x, reason] of cases) {
    const d = run([srv('a', { rps: 50 }), srv('b', { rps: 50 }), x], { history: recommended(3, 1000) }).decision;
    if (reason) {
      t.same(d.dead, [{ id: 'x', instanceId: 'pid-x', reason }], name);
      t.equal(d.current, 2, `${name}: not counted`);
      if (reason === 'heartbeat-lost' || reason === 'exited') {
        t.match(d, { rule: 'replace', launch: 1, desired: 3 }, `${name}: replaced`);
      } else {
        t.match(d, { rule: 'back-off', launch: 0, desired: 3 }, `${name}: a boot failure is replaced after the back-off`);
      }
      t.match(d.reason, /^1 dead \(x /);
    } else {
      t.same(d.dead, [], name);
      t.equal(d.current, 3, `${name}: counted`);
    }
  }
});

t.test('a death is not a scale-in: replaced unless a scale-in would have removed it anyway', async (t) => {
  const dead = srv('x', { heartbeatAge: 30_000, statsAge: 30_000, provider: 'gone' });
  const twoLeft = () => [srv('a', { rps: 40 }), srv('b', { rps: 40 })];
  const fresh = run([...twoLeft(), dead], { history: recommended(3, 1000) }).decision;
  t.match(fresh, { rule: 'replace', launch: 1 }, 'the window still asks for 3');
  const settled = run([...twoLeft(), dead], { history: recommended(1, 61_000) }).decision;
  t.match(settled, { rule: 'steady', launch: 0, desired: 2 }, 'demand had long asked for fewer: no replacement');
  t.same(settled.dead.map((d) => d.id), ['x'], 'still reported for cleanup');
});

t.test('boot failures back off exponentially, then probe with one server', async (t) => {
  const c = { min: 3, backoff: { baseMs: 10_000, maxMs: 60_000 } };
  let history = emptyHistory();
  const failing = (n: number) => Array.from({ length: n }, (_, i) => srv(`f${i}`, { state: 'launching', provider: 'gone', age: 1000 }));
  let out = run(failing(3), { history, config: c });
  t.match(out.decision, { rule: 'back-off', launch: 0, desired: 3 });
  t.equal(out.decision.explanation.bootFailures, 3);
  t.equal(out.decision.explanation.backoffUntil, NOW + 40_000, '10 s × 2^(3−1)');
  history = out.history;
  out = run(failing(3), { history, config: c, now: NOW + 5000 });
  t.equal(out.decision.explanation.bootFailures, 3, 'the same failures are not counted twice');
  t.equal(out.decision.launch, 0);
  out = run([], { history: out.history, config: c, now: NOW + 41_000 });
  t.match(out.decision, { rule: 'min', launch: 1 }, 'after the back-off, one probe server');
  t.match(out.decision.reason, /launching one server to probe/);
  const probe = { ...srv('p', { rps: 0, age: 0 }) };
  probe.server.launchedAt = NOW + 42_000;
  out = run([probe], { history: out.history, config: c, now: NOW + 50_000 });
  t.equal(out.decision.explanation.bootFailures, 0, 'a successful boot resets the count');
  t.equal(out.decision.launch, 2);
  const capped = run(failing(12), { config: c }).decision;
  t.equal(capped.explanation.backoffUntil, NOW + 60_000, 'capped at maxMs');
});

t.test('draining servers are neither capacity nor candidates', async (t) => {
  const d = run([srv('a', { rps: 50 }), srv('b', { state: 'draining', rps: 5 })]).decision;
  t.equal(d.current, 1);
  t.equal(d.explanation.counts.draining, 1);
  t.equal(d.action, 'none');
});

t.test('every decision explains itself', async (t) => {
  const { decision, history } = run([srv('a', { rps: 250 })], { proxies: [proxy(250)] });
  t.match(decision.reason, /^scale out 1 → 5, launch 4: rps: ceil\(250 req\/s \/ 50\) = 5$/);
  t.match(decision.explanation, { proposed: 5, proxies: { count: 1, offeredRps: 250 }, metrics: [{ metric: 'rps', desired: 5, formula: 'ceil(250 req/s / 50) = 5' }] });
  t.same(history.actions, [{ at: NOW, delta: 4 }]);
  t.same(history.recommendations, [{ at: NOW, desired: 5 }]);
  t.same(JSON.parse(JSON.stringify(decision)), decision, 'JSON-safe for the event stream');
});
