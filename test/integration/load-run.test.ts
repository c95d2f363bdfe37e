import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runLoad, type LoadConfig, type LoadPart } from '../../load/run.js';
import { constantRate } from '../../load/schedule.js';
import { createLogger } from '../../lib/log.js';
import { testServer } from '../helpers/http-target.js';
import { ROOT, spawnShoal } from '../helpers/proc.js';

// the file spawns several shoal processes; a shared machine makes each start take seconds
t.setTimeout(180_000);

const log = createLogger('test', 'silent');
const LEGACY = join(ROOT, 'test/fixtures/load-legacy-generatedTests.json');

const GET = { templates: [{ id: 'get', name: 'get', class: 'valid' as const, method: 'GET' as const, path: '/x', headers: {}, body: null, weight: 1 }], chains: [] };

/** One part sending GET /x: `over` sets its model and connections, and any run option. */
function config(target: string, over: Partial<LoadConfig> & Partial<Pick<LoadPart, 'model' | 'connections'>>): LoadConfig {
  const { model = { kind: 'open', plan: constantRate(100, 2000) }, connections = 1, ...rest } = over;
  return {
    parts: [{ file: GET, model, connections, maxRequests: 10_000 }],
    target,
    timeoutMs: 10_000,
    lateMs: 100,
    maxQueue: 10_000,
    noWait: false,
    maxSockets: 10,
    holdMs: 5000,
    seed: 1,
    setup: false,
    ...rest,
  };
}

t.test('coordinated omission: one connection, a 1 s stall once — corrected p99 shows it, raw p99 does not', async (t) => {
  const srv = await testServer(t.teardown, { stallAt: 40, stallMs: 1000 });
  const s = await runLoad(config(srv.url, {}), log);
  t.equal(s.requests.total, 200, 'every planned send went, the stall did not slow the arrivals');
  t.equal(s.requests.missedDropped, 0);
  t.equal(srv.requests, 200);
  t.ok(s.latency.corrected.p99 >= 500, `corrected p99 ${s.latency.corrected.p99} ms reflects the stall`);
  t.ok(s.latency.raw.p99 < 500, `raw p99 ${s.latency.raw.p99} ms does not`);
  // raw runs from the client's write to its read of the answer, around the server's full 1 s hold
  t.ok(s.latency.raw.max >= 1000, `the stalled request itself took the second (raw max ${s.latency.raw.max} ms)`);
  t.ok(s.requests.missedLate > 10, `${s.requests.missedLate} sends queued behind the stall count as missed (late)`);
});

t.test('a slow target with a small queue bound: missed sends are dropped and counted', async (t) => {
  const srv = await testServer(t.teardown, { delayMs: 100 });
  const s = await runLoad(config(srv.url, { model: { kind: 'open', plan: constantRate(50, 1000) }, maxQueue: 2 }), log);
  t.equal(s.requests.planned, 50);
  t.equal(s.requests.total + s.requests.missedDropped, 50, 'every planned arrival is either sent or dropped');
  t.ok(s.requests.missedDropped >= 30, `${s.requests.missedDropped} dropped: one connection at ~10 req/s cannot take 50`);
  t.equal(s.requests.missed, s.requests.missedDropped + s.requests.missedLate);
});

t.test('--no-wait stays within --max-sockets', async (t) => {
  const srv = await testServer(t.teardown);
  const s = await runLoad(config(srv.url, { model: { kind: 'open', plan: constantRate(50, 1000) }, noWait: true, maxSockets: 5, holdMs: 10_000 }), log);
  t.ok(srv.peakSockets <= 5, `server saw at most ${srv.peakSockets} sockets at once`);
  t.ok(srv.peakSockets >= 1);
  t.equal(s.sockets?.peak, 5);
  t.equal(s.requests.total, 5, 'each held socket carried one request');
  t.equal(s.requests.missedDropped, 45, 'the rest found every socket busy');
  t.equal(s.requests.ok + s.requests.errors, 0, 'answers are not read');
});

t.test('stages and the closed model', async (t) => {
  const srv = await testServer(t.teardown);
  const out = join(tmpdir(), `load-stages-${process.pid}.json`);
  const a = spawnShoal(t.teardown, ['load', '--tests', LEGACY, '--target', srv.url, '--stages', '1s:20,1s:0,500ms:10', '--json', out]);
  t.equal(await a.exited(), 0, a.stderr());
  t.match(JSON.parse(await readFile(out, 'utf8')), { requests: { total: 25, planned: 25 }, durationMs: 2500 });
  const b = spawnShoal(t.teardown, ['load', '--tests', LEGACY, '--target', srv.url, '--users', '2', '--think', '50ms', '--duration', '1s', '--json', out]);
  t.equal(await b.exited(), 0, b.stderr());
  const s = JSON.parse(await readFile(out, 'utf8'));
  t.match(s, { model: 'closed', users: 2, connections: 2, rate: { target: null } });
  t.ok(s.requests.total >= 2 && s.requests.total <= 2 * 21, `${s.requests.total} requests from 2 users thinking 50 ms`);
});

t.test('the open model opens enough connections for its rate at 250 ms per answer, so a slow target does not cap the sends', async (t) => {
  const srv = await testServer(t.teardown, { delayMs: 150 });
  const out = join(tmpdir(), `load-connections-${process.pid}.json`);
  // a tests file (a legacy file's own concurrency would set the connections)
  const p = spawnShoal(t.teardown, ['load', '--tests', join(ROOT, 'test/fixtures/deploy-generatedTests.json'), '--target', srv.url, '--rate', '160', '--duration', '1s', '--json', out]);
  t.equal(await p.exited(), 0, p.stderr());
  const s = JSON.parse(await readFile(out, 'utf8'));
  // 16 connections at 150 ms would carry at most ~107 req/s; 40 carry 266
  t.match(s, { connections: 40, requests: { total: 160, planned: 160 } });
  t.equal(srv.peakSockets, 40, 'the target saw all 40');
});

t.test('thresholds set the exit code; bad flags and remote targets exit 2', async (t) => {
  const srv = await testServer(t.teardown);
  const run = (...extra: string[]) => spawnShoal(t.teardown, ['load', '--tests', LEGACY, '--target', srv.url, '--rate', '20', '--duration', '500ms', ...extra]);
  const pass = run('--threshold', 'p99<60s', '--threshold', 'errors<1%');
  t.equal(await pass.exited(), 0, pass.stderr());
  t.match(pass.stdout(), /pass {2}p99<60s/);
  const fail = run('--threshold', 'p99<60s', '--threshold', 'rate>1000000');
  t.equal(await fail.exited(), 1);
  t.match(fail.stdout(), /FAIL {2}rate>1000000/);
  const bad = run('--threshold', 'p99<<3');
  t.equal(await bad.exited(), 2);
  t.match(bad.stderr(), /invalid --threshold: bad threshold "p99<<3"/);
  const remote = spawnShoal(t.teardown, ['load', '--tests', LEGACY, '--target', 'http://10.255.255.1:8080', '--rate', '1', '--duration', '1s']);
  t.equal(await remote.exited(), 2);
  t.match(remote.stderr(), /not this machine; pass --allow-remote/);
  const both = spawnShoal(t.teardown, ['load', '--tests', LEGACY, '--target', srv.url, '--rate', '5', '--users', '2']);
  t.equal(await both.exited(), 2);
  t.match(both.stderr(), /--users/);
  const missing = spawnShoal(t.teardown, ['load', '--tests', join(tmpdir(), 'load-no-such-file.json'), '--rate', '5']);
  t.equal(await missing.exited(), 2);
  t.match(missing.stderr(), /cannot read tests file/);
});

t.test('a high-rate run warms up against its own canned server first: the target sees only the planned requests', async (t) => {
  const srv = await testServer(t.teardown);
  const s = await runLoad(config(srv.url, { model: { kind: 'open', plan: constantRate(5000, 200) }, connections: 4 }), log);
  t.equal(s.requests.planned, 1000);
  t.equal(s.requests.total + s.requests.missedDropped, 1000);
  t.equal(srv.requests, s.requests.total, 'no warm-up request reached the target');
  t.equal(srv.peakSockets, 4, 'the run opened its --connections');
});
