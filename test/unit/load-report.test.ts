import t from 'tap';
import { curlLine } from '../../load/curl.js';
import { renderHtml } from '../../load/html-report.js';
import type { Outcome } from '../../load/http/http-sender.js';
import { Recorder } from '../../load/recorder.js';
import { compile, render } from '../../load/request.js';
import type { EndReason } from '../../load/part-run.js';
import { runEnd, type LoadPart } from '../../load/run.js';
import { constantRate } from '../../load/schedule.js';
import { summarize, summarizePart, type RunMeta } from '../../load/summary.js';
import { renderText } from '../../load/text-report.js';
import { evaluateThresholds, parseThreshold } from '../../load/thresholds.js';

const getSong = compile('t1', { name: 'get song', class: 'valid', method: 'GET', path: '/api/v1/music/{{song}}', headers: { accept: '*/*' }, body: null });
const badUser = compile('t2', { name: 'user wrong types', class: 'invalid', method: 'POST', path: '/api/v1/users', headers: { 'content-type': 'application/json' }, body: '{"fname":1}' });
const ctx = { pick: () => 'abc', seq: 0 };

/** A fixed set of outcomes: latency `ms` from the planned time, `raw` from the send. */
function recorded(): Recorder {
  const rec = new Recorder(0);
  const add = (req: typeof getSong, plannedAt: number, sentAt: number, endedAt: number, status: number, error?: string) => {
    rec.sentOne(plannedAt, sentAt, false);
    const o: Outcome = { status, error, sentAt, endedAt, bytes: status ? 100 : 0 };
    rec.outcome(req, render(req, ctx), plannedAt, o, 100);
  };
  for (let i = 0; i < 90; i++) add(getSong, i * 10, i * 10, i * 10 + 5, 200);
  add(getSong, 900, 1500, 1510, 200); // queued 600 ms: late, corrected 610 ms, raw 10 ms
  add(getSong, 910, 910, 920, 404); // a finding: valid → 4xx
  add(getSong, 920, 920, 930, 503);
  add(getSong, 930, 930, 10930, 0, 'SHOAL_ERR_HEADERS_TIMEOUT');
  for (let i = 0; i < 5; i++) add(badUser, 940 + i, 940 + i, 950 + i, 400);
  add(badUser, 990, 990, 995, 500); // a finding: invalid → 5xx
  rec.dropped(995);
  return rec;
}

const meta: RunMeta = {
  target: 'http://127.0.0.1:8080',
  model: 'open',
  noWait: false,
  startedAt: Date.UTC(2026, 0, 1),
  durationMs: 1000,
  targetRate: 100,
  planned: 100,
  users: null,
  connections: 4,
  maxRequests: 1110,
  ended: 'completed',
  lateMs: 100,
  chains: { completed: 3, aborted: 1 },
  elasticity: null,
};

t.test('the summary counts by expectation: valid → 2xx/3xx, invalid → 4xx', async (t) => {
  const s = summarize(recorded(), meta);
  t.match(s.requests, { total: 100, ok: 96, errors: 4, planned: 100, missed: 2, missedLate: 1, missedDropped: 1, capped: false });
  // the measured span runs from the first planned send (0) to the last answer: the timeout at 10,930 ms
  t.equal(s.measuredMs, 10_930);
  t.match(s.rate, { target: 100, achieved: 9.15, perMinute: 549, okPerSecond: 8.78, errorsPerSecond: 0.37 });
  t.same(s.statuses, { '200': 91, '400': 5, '404': 1, '500': 1, '503': 1, SHOAL_ERR_HEADERS_TIMEOUT: 1 });
  t.same(s.errors.byClass, { valid: { '404': 1, '503': 1, SHOAL_ERR_HEADERS_TIMEOUT: 1 }, invalid: { '500': 1 } });
  t.same(s.errors.byStatus, { '404': 1, '500': 1, '503': 1, SHOAL_ERR_HEADERS_TIMEOUT: 1 });
  t.match(s.classes, { valid: { total: 94, ok: 91, errors: 3 }, invalid: { total: 6, ok: 5, errors: 1 } });
  t.equal(s.percentUnder100ms, 98, 'the late send and the timeout are over 100 ms corrected');
  t.equal(s.percentUnder100msRaw, 99, 'only the timeout is over 100 ms raw');
  t.equal(s.latency.corrected.max, 10_000);
  t.ok(s.latency.corrected.p99 >= 600, 'corrected p99 sees the queued send');
  t.ok(s.latency.raw.p99 < 100, 'raw p99 does not');
  t.same(
    s.findings.map((f) => [f.template, f.class, f.status, f.count]),
    [
      ['t1', 'valid', 404, 1],
      ['t2', 'invalid', 500, 1],
    ],
  );
  t.equal(s.findings[1]!.curl, `curl -sS -i -g -X POST 'http://127.0.0.1:8080/api/v1/users' -H 'content-type: application/json' --data-binary '{"fname":1}'`);
  t.equal(s.timeline.length, 11);
});

t.test('the JSON summary has every figure the text report shows', async (t) => {
  const s = summarize(recorded(), meta);
  s.thresholds = evaluateThresholds([parseThreshold('p99<200ms'), parseThreshold('errors<5%')], s);
  const text = renderText(s);
  const json = JSON.parse(JSON.stringify(s));
  for (const key of ['requests', 'rate', 'latency', 'percentUnder100ms', 'findings']) t.ok(key in json, key);
  for (const k of ['total', 'ok', 'errors']) t.type(json.requests[k], 'number');
  for (const k of ['target', 'achieved']) t.type(json.rate[k], 'number');
  for (const k of ['p50', 'p90', 'p99']) {
    t.type(json.latency.corrected[k], 'number');
    t.type(json.latency.raw[k], 'number');
  }
  // every line of the text report names something the JSON holds
  const expect: [RegExp, unknown][] = [
    [/total\s+100 of 100 planned/, json.requests.total],
    [/ok\s+96 \(8\.78\/s\)/, json.rate.okPerSecond],
    [/errors\s+4 \(0\.37\/s\)/, json.rate.errorsPerSecond],
    [/requests\/min\s+549/, json.rate.perMinute],
    [/measured over\s+10\.93 s \(first planned send to last answer/, json.measuredMs],
    [/achieved rate\s+9\.15\/s \(target 100\/s\)/, json.rate.achieved],
    [/missed sends\s+2 \(late > 100 ms: 1, dropped: 1\)/, json.requests.missedDropped],
    [/chains\s+3 completed, 1 stopped early/, json.chains.completed],
    [/under 100 ms\s+98% corrected, 99% raw/, json.percentUnder100msRaw],
    [/valid\s+94 requests, 91 ok/, json.classes.valid.ok],
    [/invalid\s+6 requests, 5 ok/, json.classes.invalid.ok],
    [/SHOAL_ERR_HEADERS_TIMEOUT: 1/, json.errors.byClass.valid.SHOAL_ERR_HEADERS_TIMEOUT],
    [/bytes\s+0 B sent, 9.7 KiB received/, json.bytes.received === 9900],
    [/p99\.9/, json.latency.corrected.p999],
    [/median \(p50\)/, json.latency.raw.p50],
    [/FAIL {2}p99<200ms/, json.thresholds[0].ok === false],
    [/pass {2}errors<5%/, json.thresholds[1].ok],
    [/valid t1 "get song" → 404 ×1/, json.findings[0].curl],
  ];
  for (const [re, value] of expect) {
    t.match(text, re, `text shows ${re}`);
    t.ok(value !== undefined && value !== false, `json holds ${re}`);
  }
});

t.test('per template: corrected latency and the answers over 100 ms, rows adding up to the run', async (t) => {
  const s = summarize(recorded(), meta);
  t.same(
    s.templates.map((x) => [x.id, x.name, x.method, x.route, x.total, x.ok, x.errors, x.over100ms]),
    [
      ['t1', 'get song', 'GET', '/api/v1/music/{{song}}', 94, 91, 3, 2],
      ['t2', 'user wrong types', 'POST', '/api/v1/users', 6, 5, 1, 0],
    ],
    'the template holding the tail first',
  );
  t.equal(s.templates.reduce((a, x) => a + x.total, 0), s.requests.total, 'rows sum to the total');
  t.ok(s.templates[0]!.latency.p99 >= 600, "the late send is in its own template's p99");
  t.ok(s.templates[1]!.latency.p99 < 100);
  const text = renderText(s);
  t.match(text, /by template \(corrected latency; most answers over 100 ms first\)/);
  t.match(text, /t1 +get song +94 +2 .* GET \/api\/v1\/music\/\{\{song\}\}/);
  t.match(text, /t2 +user wrong types +6 +0 .* POST \/api\/v1\/users/);
  t.match(text, /total +2 templates and chain steps +100 +2/, 'the table adds up to the total');
  // a run split in parts (a legacy file) merges per template too
  const merged = summarize(Recorder.merge([recorded(), recorded()]), meta);
  t.same(merged.templates.map((x) => [x.id, x.total, x.over100ms]), [['t1', 188, 4], ['t2', 12, 0]]);
});

t.test('the HTML report is one self-contained page with inline SVG charts', async (t) => {
  const html = renderHtml(summarize(recorded(), meta));
  t.match(html, /^<!doctype html>/);
  t.equal((html.match(/<svg /g) ?? []).length, 2, 'throughput and latency charts');
  t.notMatch(html, /<script|src=|href=|@import/i, 'nothing external, no scripts');
  t.match(html, /throughput/);
  t.match(html, /latency over time/);
});

t.test('curl lines reproduce odd requests exactly', async (t) => {
  t.equal(curlLine('http://h:1', { method: 'GET', path: "/a?q=it's", headers: {}, body: null }), `curl -sS -i -g 'http://h:1/a?q=it'\\''s'`);
  t.match(curlLine('http://h:1', { method: 'GET', path: '/api/v1/users/../../admin', headers: {}, body: null }), /--path-as-is/);
  const big = curlLine('http://h:1', { method: 'POST', path: '/u', headers: {}, body: `{"f":"${'x'.repeat(5000)}"}` });
  t.equal(big, `{ printf '%s' '{"f":"'; head -c 5000 /dev/zero | tr '\\0' 'x'; printf '%s' '"}'; } | curl -sS -i -g -X POST 'http://h:1/u' --data-binary @-`);
});

/** `n` sends of one template at `rate`/s from `from` ms, each answered 5 ms after it went out. */
function steady(rec: Recorder, n: number, rate: number, from = 0): Recorder {
  for (let i = 0; i < n; i++) {
    const at = from + (i * 1000) / rate;
    rec.sentOne(at, at, false);
    rec.outcome(getSong, render(getSong, ctx), at, { status: 200, sentAt: at, endedAt: at + 5 }, 100);
  }
  return rec;
}

t.test('rates are over the measured span: 350 requests at 80/s stopped by the cap are 80/s, not 350 / 30 s', async (t) => {
  // the seed's legacy case: a 30 s plan at 80/s, capped at 350 sends (the last at 349 × 12.5 ms, answered 5 ms later)
  const s = summarize(steady(new Recorder(0), 350, 80), { ...meta, durationMs: 30_000, targetRate: 80, planned: 2400, maxRequests: 350, ended: 'request-cap' });
  t.equal(s.measuredMs, 4367.5, '349 × 12.5 ms + 5 ms');
  t.equal(s.rate.achieved, 80.14, '350 / 4.3675 s');
  t.not(s.rate.achieved, 11.67, 'not the nominal 30 s');
  t.same(s.ended, { reason: 'request-cap', early: true });
  t.equal(s.requests.capped, true);
  const text = renderText(s);
  t.match(text, /achieved rate\s+80\.14\/s \(target 80\/s\)/);
  t.match(text, /ended early\s+request cap reached \(--max-requests 350\), after 4\.37 s of 30\.00 s planned/);
  t.notMatch(renderText(summarize(steady(new Recorder(0), 80, 40), { ...meta, durationMs: 2000, ended: 'completed' })), /ended early/, 'a full run says nothing about ending early');
  t.match(renderText(summarize(steady(new Recorder(0), 10, 40), { ...meta, ended: 'interrupted' })), /ended early\s+interrupted \(SIGINT\/SIGTERM\)/);
});

t.test('legacy entries: one recorder each, merged for the totals, and one report line each over its own span', async (t) => {
  const parts: LoadPart[] = [
    { name: 'GET /api/v1/music', file: { templates: [], chains: [] }, model: { kind: 'open', plan: constantRate(40, 30_000) }, connections: 4, maxRequests: 200 },
    { name: 'GET /healthz', file: { templates: [], chains: [] }, model: { kind: 'open', plan: constantRate(20, 30_000) }, connections: 2, maxRequests: 50 },
  ];
  const recs = [steady(new Recorder(0), 200, 40), steady(new Recorder(0), 50, 20)];
  const merged = Recorder.merge(recs);
  t.match(merged, { sent: 250, ok: 250, completed: 250, firstPlannedAt: 0, lastSentAt: 4975, lastAnsweredAt: 4980 });
  t.equal(merged.corrected.totalCount, 250);
  t.equal(merged.seconds.reduce((n, x) => n + x.sent, 0), 250, 'the timeline adds up');
  t.equal(merged.classes.get('valid')?.total, 250);

  const a = summarizePart(recs[0]!, parts[0]!, 'request-cap');
  t.match(a, { name: 'GET /api/v1/music', targetRate: 40, connections: 4, maxRequests: 200, planned: 1200, total: 200, ok: 200, measuredMs: 4980, achieved: 40.16, ended: { reason: 'request-cap', early: true } });
  const b = summarizePart(recs[1]!, parts[1]!, 'request-cap');
  t.match(b, { total: 50, measuredMs: 2455, achieved: 20.37 }, '50 / (49 × 50 ms + 5 ms)');

  const s = summarize(merged, { ...meta, durationMs: 30_000, targetRate: 60, planned: 1800, maxRequests: 250, ended: runEnd(['request-cap', 'request-cap']) });
  s.parts = [a, b];
  const text = renderText(s);
  t.match(text, /ended early\s+every entry reached its own request cap/);
  t.match(text, /per entry/);
  t.match(text, /GET \/api\/v1\/music\n\s+200 of 1,200 planned in 4\.98 s: achieved 40\.16\/s \(target 40\/s\), 200 ok, 0 errors, 0 missed, p50 5\.00 ms, p99 5\.00 ms, 4 connections\n\s+ended early: request cap reached \(maxRequests 200\)/);
  t.match(text, /GET \/healthz\n\s+50 of 600 planned in 2\.46 s: achieved 20\.37\/s \(target 20\/s\)/);
  t.match(JSON.parse(JSON.stringify(s)), { parts: [{ name: 'GET /api/v1/music', achieved: 40.16 }, { name: 'GET /healthz', achieved: 20.37 }] });
  t.match(renderHtml(s), /per entry/, 'the HTML report carries the same lines');
});

t.test('why a run ended, from why its parts did', async (t) => {
  const table: [EndReason[], EndReason][] = [
    [['completed'], 'completed'],
    [['request-cap'], 'request-cap'],
    [['request-cap', 'request-cap', 'request-cap'], 'request-cap'],
    [['request-cap', 'completed'], 'completed'],
    [['completed', 'interrupted'], 'interrupted'],
    [['request-cap', 'interrupted'], 'interrupted'],
  ];
  for (const [parts, run] of table) t.equal(runEnd(parts), run, parts.join(', '));
});
