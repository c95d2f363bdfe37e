import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { elasticity } from '../../capacity/elasticity.js';
import { DecisionTail } from '../../fleet/index.js';
import { ROOT, spawnShoal } from '../helpers/proc.js';
import { testRedis } from '../helpers/redis.js';

t.setTimeout(180_000); // a safety net, not a timing: generous for a loaded CI machine

t.test('with a shoal fleet (--data-dir stack.json): samples ready servers and the target, reports SPEC RG metrics', async (t) => {
  const r = await testRedis(t.teardown);
  await r.fleet.registry.ready('a', { address: '127.0.0.1:1', provider: 'manual' });
  await r.fleet.registry.ready('b', { address: '127.0.0.1:2', provider: 'manual' });
  await r.fleet.registry.launching('c', { provider: 'local' });
  await r.fleet.autoscaler.write({ leaderId: 'x', provider: 'local', min: 1, max: 4, targetRps: 10, targetMemory: 0, desired: 2, actual: 2, intervalMs: 1000, lastDecision: 'hold', updatedAt: Date.now() });
  // what the autoscaler would have recorded: an older decision, then the one that still holds
  await r.fleet.decisions.append({ desired: 1, current: 1, rule: 'min', explanation: { metrics: [{ metric: 'rps', demand: 0, desired: 0 }] } });
  await r.fleet.decisions.append({ desired: 3, current: 2, rule: 'scale-out', explanation: { metrics: [{ metric: 'rps', demand: 20.4, desired: 3 }] } });

  const srv = createServer((req, res) => (req.resume(), res.end('ok')));
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  t.teardown(() => new Promise<void>((ok) => srv.close(() => ok())));
  const target = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;

  const dir = await mkdtemp(join(tmpdir(), 'load-elasticity-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // the fields shoal up writes, plus one this reader does not know
  const stack = { version: 1, pid: process.pid, startedAt: Date.now(), dataDir: dir, prefix: r.prefix, redis: { url: r.url, embedded: true }, dynamodb: { endpoint: 'http://127.0.0.1:1', embedded: false } };
  await writeFile(join(dir, 'stack.json'), JSON.stringify({ ...stack, somethingNew: { x: 1 } }));
  const out = join(dir, 'summary.json');
  const html = join(dir, 'report.html');
  const p = spawnShoal(t.teardown, ['load', '--tests', join(ROOT, 'test/fixtures/load-legacy-generatedTests.json'), '--target', target, '--rate', '20', '--duration', '3s', '--data-dir', dir, '--json', out, '--html', html]);
  t.equal(await p.exited(), 0, p.stderr());
  const s = JSON.parse(await readFile(out, 'utf8'));
  t.ok(s.elasticity, 'elasticity reported');
  t.equal(s.elasticity.targetRps, 10);
  t.ok(s.elasticity.samples >= 2, `${s.elasticity.samples} samples`);
  t.ok(
    s.elasticity.series.every((x: { supply: number }) => x.supply === 2),
    'supply = the ready servers (a launching one is not supply)',
  );
  t.equal(s.elasticity.definition, '⌈offered / target⌉');
  t.ok(
    s.elasticity.series.every((x: { offeredRps: number; demand: number }) => x.offeredRps === 20 && x.demand === 2),
    'demand = ⌈20 req/s offered / 10 per server⌉ = 2 at every sample',
  );
  t.ok(
    s.elasticity.series.every((x: { autoscalerDesired: number; autoscalerRps: number }) => x.autoscalerDesired === 3 && x.autoscalerRps === 20.4),
    "beside it, the autoscaler's newest decision from the stream: desired 3 at 20.4 req/s",
  );
  t.same(
    Object.fromEntries(Object.entries(elasticity(s.elasticity.series)).map(([k, v]) => [k, v])),
    Object.fromEntries(Object.keys(elasticity([])).map((k) => [k, s.elasticity[k]])),
    'the figures are those of the recorded series',
  );
  t.match(p.stdout(), /elasticity \(SPEC RG; demand = ⌈offered \/ target⌉ servers, offered = the planned arrival rate at the sample .*target = 10 req\/s per server/);
  t.match(p.stdout(), /t\s+offered\s+demand\s+desired\s+its req\/s\s+ready\n\s+\d+\.\ds\s+20\s+2\s+3\s+20\.4\s+2/);
  t.match(p.stdout(), /θU under-provisioning/);
  t.match(await readFile(html, 'utf8'), /demand vs supply[\s\S]*autoscaler desired/);
});

t.test('--data-dir without a stack is a config error', async (t) => {
  const p = spawnShoal(t.teardown, ['load', '--tests', join(ROOT, 'test/fixtures/load-legacy-generatedTests.json'), '--rate', '1', '--data-dir', join(tmpdir(), 'load-no-stack-here')]);
  t.equal(await p.exited(), 2);
  t.match(p.stderr(), /invalid --data-dir: no running stack recorded at .*stack\.json/);
});

t.test('the decision tail reads only new entries and keeps the newest decision', async (t) => {
  const r = await testRedis(t.teardown);
  const tail = new DecisionTail(r.fleet.decisions);
  t.equal(await tail.latest(), undefined, 'nothing recorded yet');
  await r.fleet.decisions.append({ desired: 2, current: 1, rule: 'scale-out', explanation: { metrics: [] } });
  t.match(await tail.latest(), { desired: 2, rule: 'scale-out' });
  t.match(await tail.latest(), { desired: 2 }, 'a steady autoscaler writes nothing: the last decision still holds');
  for (let i = 3; i <= 600; i++) await r.fleet.decisions.append({ desired: i, current: i - 1, rule: 'scale-out' });
  t.match(await tail.latest(), { desired: 600 }, 'more than one page of new entries');
});
