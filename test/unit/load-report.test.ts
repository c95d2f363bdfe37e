import t from 'tap';
import { curlLine } from '../../load/curl.js';
import { renderHtml } from '../../load/html-report.js';
import type { Outcome } from '../../load/http/http-sender.js';
import { Recorder } from '../../load/recorder.js';
import { compile, render } from '../../load/request.js';
import { summarize, type RunMeta } from '../../load/summary.js';
import { renderText } from '../../load/text-report.js';
import { evaluateThresholds, parseThreshold } from '../../load/thresholds.js';

const getSong = compile('t1', { name: 'get song', class: 'valid', method: 'GET', path: '/api/v1/music/{{song}}', headers: { accept: '*/*' }, body: null });
const badUser = compile('t2', { name: 'user wrong types', class: 'invalid', method: 'POST', path: '/api/v1/users', headers: { 'content-type': 'application/json' }, body: '{"fname":1}' });
const ctx = { pick: () => 'abc', seq: 0 };

/** A fixed set of outcomes: latency `ms` from the planned time, `raw` from the send. */
function recorded(): Recorder {
  const rec = new Recorder(0);
  const add = (req: typeof getSong, plannedAt: number, sentAt: number, endedAt: number, status: number, error?: string) => {
    rec.sentOne(plannedAt, false);
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
  capped: false,
  lateMs: 100,
  chains: { completed: 3, aborted: 1 },
  elasticity: null,
};

t.test('the summary counts by expectation: valid → 2xx/3xx, invalid → 4xx', async (t) => {
  const s = summarize(recorded(), meta);
  t.match(s.requests, { total: 100, ok: 96, errors: 4, planned: 100, missed: 2, missedLate: 1, missedDropped: 1, capped: false });
  t.match(s.rate, { target: 100, achieved: 100, perMinute: 6000, okPerSecond: 96, errorsPerSecond: 4 });
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
    [/ok\s+96 \(96\/s\)/, json.rate.okPerSecond],
    [/errors\s+4 \(4\/s\)/, json.rate.errorsPerSecond],
    [/requests\/min\s+6,000/, json.rate.perMinute],
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
