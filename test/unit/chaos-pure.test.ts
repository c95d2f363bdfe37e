import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { experimentWindowMs, parseExperiment } from '../../chaos/experiment.js';
import { inlineTests } from '../../chaos/load.js';
import { loadFigures } from '../../chaos/measure.js';
import { pickServers, zoneServers } from '../../chaos/select.js';
import { compareRuns, evaluateProbe, steadyState, verdict, type Measurements, type SteadyState } from '../../chaos/verdict.js';
import { chaosRow } from '../../dashboard/feed.js';
import type { Server } from '../../fleet/index.js';
import { chooseFault, type ActiveFault } from '../../lib/fault-rules.js';
import type { Summary } from '../../load/summary.js';
import { ROOT } from '../helpers/proc.js';

const none: Measurements = { successPercent: null, p95Ms: null, readyServers: null, http: null, proxyRssMb: null, redisWrite: null };

t.test('evaluateProbe: each probe against its tolerance; an unmeasured figure never holds', async (t) => {
  const rows: [Parameters<typeof evaluateProbe>[0], Partial<Measurements>, boolean, string][] = [
    [{ type: 'success-rate', min_percent: 99.9 }, { successPercent: 99.95 }, true, '99.95 %'],
    [{ type: 'success-rate', min_percent: 99.9 }, { successPercent: 99.8 }, false, '99.8 %'],
    [{ type: 'success-rate', min_percent: 99.9 }, {}, false, 'no requests'],
    [{ type: 'p95', max_ms: 500 }, { p95Ms: 500 }, true, '500 ms'],
    [{ type: 'p95', max_ms: 500 }, { p95Ms: 500.01 }, false, '500.01 ms'],
    [{ type: 'ready-servers', min: 3, within: 0 }, { readyServers: 3 }, true, '3'],
    [{ type: 'ready-servers', min: 3, within: 0 }, { readyServers: 2 }, false, '2'],
    [{ type: 'ready-servers', min: 3, within: 0 }, {}, false, 'unknown (Redis unreachable)'],
    [{ type: 'http', path: '/x', status: 200, timeout: 2000 }, { http: { status: 200, ms: 12 } }, true, '200 in 12 ms'],
    [{ type: 'http', path: '/x', status: 200, timeout: 2000 }, { http: { status: 503, ms: 12 } }, false, '503 in 12 ms'],
    [{ type: 'http', path: '/x', status: 200, timeout: 2000 }, { http: { status: null, ms: 2001, error: 'timeout' } }, false, 'no answer (timeout)'],
    [{ type: 'proxy-rss', max_mb: 400 }, { proxyRssMb: 120.5 }, true, '120.5 MiB'],
    [{ type: 'proxy-rss', max_mb: 400 }, { proxyRssMb: 401 }, false, '401 MiB'],
    [{ type: 'redis-write' }, { redisWrite: { ok: true } }, true, 'ok'],
    [{ type: 'redis-write' }, { redisWrite: { ok: false, error: 'ECONNREFUSED' } }, false, 'failed (ECONNREFUSED)'],
  ];
  for (const [probe, m, ok, value] of rows) {
    const r = evaluateProbe(probe, { ...none, ...m });
    t.equal(r.ok, ok, `${probe.type} ${value}`);
    t.equal(r.value, value);
  }
});

const met: SteadyState = { met: true, probes: [] };
const broken = steadyState([{ type: 'ready-servers', min: 3, within: 0 }], { ...none, readyServers: 2 });

t.test('verdict: aborted before, deviated after, failed actions and rollbacks, signals', async (t) => {
  const rows: [Parameters<typeof verdict>[0], string, boolean][] = [
    [{ before: met, after: met, actions: ['succeeded'], rollbacks: ['succeeded'], interrupted: false }, 'completed', true],
    [{ before: broken, after: null, actions: [], rollbacks: ['succeeded'], interrupted: false }, 'aborted', false],
    [{ before: met, after: broken, actions: ['succeeded'], rollbacks: [], interrupted: false }, 'failed', false],
    [{ before: met, after: met, actions: ['failed'], rollbacks: [], interrupted: false }, 'failed', false],
    [{ before: met, after: met, actions: ['succeeded'], rollbacks: ['failed'], interrupted: false }, 'failed', false],
    [{ before: met, after: null, actions: ['succeeded'], rollbacks: ['succeeded'], interrupted: true }, 'interrupted', false],
  ];
  for (const [input, status, passed] of rows) {
    const v = verdict(input);
    t.equal(v.status, status);
    t.equal(v.passed, passed);
  }
  t.match(verdict(rows[2]![0]).reasons[0], /steady state deviated: ready-servers 2 \(wanted ≥ 3\)/);
  t.match(verdict(rows[4]![0]).reasons[0], /1 rollback\(s\) failed/);
});

t.test('compareRuns: a difference and a verdict per figure', async (t) => {
  const probes = [{ type: 'success-rate' as const, min_percent: 99.9 }, { type: 'p95' as const, max_ms: 500 }];
  const control = steadyState(probes, { ...none, successPercent: 100, p95Ms: 40 });
  const experiment = steadyState(probes, { ...none, successPercent: 99.5, p95Ms: 120 });
  t.same(compareRuns(control, experiment), [
    { probe: 'success-rate', tolerance: '≥ 99.9 %', control: '100 %', experiment: '99.5 %', delta: -0.5, ok: false },
    { probe: 'p95', tolerance: '≤ 500 ms', control: '40 ms', experiment: '120 ms', delta: 80, ok: true },
  ]);
});

const base = 'version: 1\ntitle: t\nload: { rate: 10, requests: ["GET /x"] }\nsteady_state: { probes: [{ type: ready-servers, min: 1 }] }\n';

t.test('parseExperiment: errors name the field', async (t) => {
  const rows: [string, RegExp][] = [
    [base + 'method: []\n', /method: .*at least 1|method: Too small/i],
    [base + 'method: [{ action: kill-servr }]\n', /method\[0\]/],
    [base + 'method: [{ action: http-fault, at: proxy }]\n', /method\[0\]\.delay: give delay, abort_status or both/],
    [base + 'method: [{ pause: soon }]\n', /method\[0\]/],
    [base.replace('rate: 10', 'rate: -1') + 'method: [{ pause: 1s }]\n', /load\.rate/],
    [base + 'method: [{ pause: 1s }]\nsurprise: 1\n', /\(top level\)|surprise/],
    ['version: 1\ntitle: [', /not YAML/],
  ];
  for (const [text, re] of rows) t.throws(() => parseExperiment(text, 'x.yaml'), re);
  t.throws(() => parseExperiment('{', 'x.json'), /not JSON/);
});

t.test('every shipped experiment parses; the method window covers its pauses', async (t) => {
  const dir = join(ROOT, 'experiments');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  t.ok(files.length >= 7, 'one file per seed experiment');
  for (const f of files) {
    const e = parseExperiment(readFileSync(join(dir, f), 'utf8'), f);
    const pauses = e.method.reduce((n, s) => n + ('pause' in s ? s.pause : 0), 0);
    t.ok(experimentWindowMs(e) >= pauses, `${f}: load runs through the method`);
  }
});

const server = (id: string, state: Server['state'], zone: string): Server => ({
  id, address: `127.0.0.1:${id.length}${id.charCodeAt(0)}`, state, provider: 'local', instanceId: '1', host: 'h', zone, launchedAt: 0, heartbeatAt: 0, stateChangedAt: 0, bootId: '',
});

t.test('pickServers / zoneServers: ready servers only, distinct, named by id or address', async (t) => {
  const fleet = [server('a', 'ready', 'z1'), server('b', 'ready', 'z2'), server('c', 'draining', 'z1'), server('d', 'ready', 'z1')];
  t.same(pickServers(fleet, 'random', 2, () => 0).map((s) => s.id), ['a', 'b']);
  t.same(pickServers(fleet, 'random', 5, () => 0.99).map((s) => s.id).sort(), ['a', 'b', 'd']);
  t.same(pickServers(fleet, 'c', 1, Math.random), [], 'a draining server is not a target');
  t.same(pickServers(fleet, fleet[1]!.address, 1, Math.random).map((s) => s.id), ['b']);
  t.same(zoneServers(fleet, 'z1').map((s) => s.id), ['a', 'd']);
});

t.test('chooseFault: upstream, percent and expiry', async (t) => {
  const rules: ActiveFault[] = [{ delayMs: 100, percent: 50, upstream: 's1', durationMs: 1000, until: 2000 }];
  t.same(chooseFault(rules, 's1', 1000, 0.2), { delayMs: 100, abortStatus: undefined });
  t.equal(chooseFault(rules, 's1', 1000, 0.6), undefined, 'outside the percent');
  t.equal(chooseFault(rules, 's2', 1000, 0.2), undefined, 'another upstream');
  t.equal(chooseFault(rules, 's1', 2000, 0.2), undefined, 'expired');
});

t.test('loadFigures, inlineTests, chaosRow', async (t) => {
  const s = { noWait: false, requests: { total: 2000, ok: 1999 }, latency: { corrected: { p95: 12.5 } } } as unknown as Summary;
  t.same(loadFigures(s), { successPercent: 99.95, p95Ms: 12.5 });
  t.same(loadFigures({ ...s, noWait: true }), { successPercent: null, p95Ms: null }, 'a flood reads no answers');
  t.match(inlineTests(['GET /api/v1/music/{{song}}']).templates[0], { method: 'GET', path: '/api/v1/music/{{song}}', class: 'valid' });
  t.same(chaosRow(5, { event: 'action-started', experiment: 'Kill', activity: 'kill-server random' }), { at: 5, event: 'action-started', text: 'Kill — kill-server random' });
});
