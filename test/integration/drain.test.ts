import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { testDynalite } from '../helpers/dynalite.js';
import { ROOT, spawnShoal } from '../helpers/proc.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(300_000); // several shoal processes on a shared machine

const TESTS = join(ROOT, 'test/fixtures/deploy-generatedTests.json');
const redis = await testRedis(t.teardown);
const db = await testDynalite(t.teardown);
const env = { REDIS_URL: redis.url, SHOAL_PREFIX: redis.prefix };

async function app(): Promise<{ id: string; address: string }> {
  const p = spawnShoal(t.teardown, ['app', '--port', '0', '--dynamodb', db.endpoint, '--create-tables', '--auth', 'off', '--monitor-interval', '200ms', '--heartbeat-interval', '200ms'], { env });
  const [, id, address] = await p.waitForOutput(/shoal app (\S+) ready at http:\/\/(\S+)/, 60_000);
  return { id: id!, address: address! };
}
// One after the other: the first creates the tables.
const a = await app();
const b = await app();
const proxy = spawnShoal(t.teardown, ['proxy', '--port', '0', '--admin-port', '0', '--slow-start', '0', '--resync-interval', '1s'], { env });
const proxyUrl = (await proxy.waitForOutput(/shoal proxy ready at (http:\/\/\S+)/, 60_000))[1]!;
await waitFor(async () => (await fetch(`${proxyUrl}/api/v1/music?limit=1`)).ok, { timeoutMs: 30_000, what: 'proxy forwarding' });

const shoal = (...args: string[]) => spawnShoal(t.teardown, args, { env });
const readyz = async (address: string) => (await fetch(`http://${address}/readyz`)).status;

t.test('drain under load: zero failed requests; undrain puts it back; fleet ls shows it', async (t) => {
  const out = join(tmpdir(), `drain-load-${process.pid}.json`);
  // 16 connections, as before the open model sized them for its rate (see deploy.test.ts)
  const load = shoal('load', '--tests', TESTS, '--target', proxyUrl, '--rate', '40', '--duration', '25s', '--connections', '16', '--json', out);
  await waitFor(async () => ((await redis.fleet.requests.read(a.address))?.total ?? 0) > 20, { timeoutMs: 90_000, what: 'load reaching the first server' });

  const drain = shoal('drain', a.id, '--timeout', '30s');
  t.equal(await drain.exited(), 0, drain.stderr());
  t.match(drain.stdout(), new RegExp(`^drained ${a.id} \\(${a.address}\\): every live proxy at pool v\\d+, 0 in flight, after \\d+\\.\\d s\\n$`));
  t.equal(await readyz(a.address), 503, '/readyz fails on the drained server');
  // The proxy's /readyz checks still arrive (and get 503): count the 2xx answers.
  const before = (await redis.fleet.requests.read(a.address))!.s2xx;

  const ls = shoal('fleet', 'ls', '--json');
  t.equal(await ls.exited(), 0, ls.stderr());
  const rows = JSON.parse(ls.stdout()) as { id: string; state: string }[];
  t.same(
    rows.map((r) => [r.id, r.state]),
    [
      [a.id, 'draining'],
      [b.id, 'ready'],
    ],
  );
  const text = shoal('fleet', 'ls');
  t.equal(await text.exited(), 0);
  t.match(text.stdout(), /^ID +ADDRESS +STATE +RPS/);
  t.match(text.stdout(), new RegExp(`\\n${a.id} +${a.address} +draining `));

  // Drained: the proxy sends it nothing while the load goes on.
  await waitFor(async () => ((await redis.fleet.requests.read(b.address))?.updatedAt ?? 0) > Date.now() - 100, { what: 'a fresh reading' });
  await new Promise((r) => setTimeout(r, 1000)); // a window in which nothing may arrive, not a wait for a condition
  t.equal((await redis.fleet.requests.read(a.address))!.s2xx, before, 'no request was served by the drained server');

  const undrain = shoal('undrain', a.address);
  t.equal(await undrain.exited(), 0, undrain.stderr());
  t.match(undrain.stdout(), new RegExp(`^undrained ${a.id} \\(${a.address}\\): ready again at pool v\\d+\\n$`));
  await waitFor(async () => (await readyz(a.address)) === 200, { what: '/readyz passing again' });
  await waitFor(async () => ((await redis.fleet.requests.read(a.address))?.s2xx ?? 0) > before, { timeoutMs: 20_000, what: 'traffic back on the undrained server' });
  const again = shoal('undrain', a.id);
  t.equal(await again.exited(), 0);
  t.match(again.stdout(), /is already ready/);

  t.equal(await load.exited(), 0, load.stderr());
  const report = JSON.parse(await readFile(out, 'utf8')) as { requests: { total: number; ok: number; errors: number }; statuses: Record<string, number>; timeline: { t: number; errors: number }[] };
  const when = report.timeline.filter((s) => s.errors > 0).map((s) => `${s.t}s:${s.errors}`);
  t.equal(report.requests.errors, 0, `no failed request (${JSON.stringify(report.statuses)}; errors by second ${when.join(' ')})`);
  t.ok(report.requests.ok >= 900, `${report.requests.ok} requests ok`);
});

t.test('--timeout: a request held in flight keeps the drain from finishing; exit 1 with the reason', async (t) => {
  // A slow client straight to the server: headers and half a body, the rest never sent.
  const [host, port] = b.address.split(':');
  const sock = connect(Number(port), host);
  t.teardown(() => sock.destroy());
  const body = JSON.stringify({ fname: 'Slow', lname: 'Client', email: 'slow@example.com' });
  sock.write(`POST /api/v1/users HTTP/1.1\r\nHost: ${b.address}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  await waitFor(async () => (await redis.fleet.requests.read(b.address))?.inflight === 1, { what: 'request in flight' });

  const drain = shoal('drain', b.address, '--timeout', '1500ms');
  t.equal(await drain.exited(), 1);
  const m = drain.stdout().match(new RegExp(`^timeout after (\\d+\\.\\d) s draining ${b.id} \\(${b.address}\\): (\\d+) in flight; it stays draining`));
  t.ok(m, drain.stdout());
  // the held request at least (a health check or a late request of the first test may add one)
  t.ok(Number(m?.[2]) >= 1, 'the held request counted in flight');
  const waited = Number(m?.[1]);
  t.ok(waited >= 1.5, `gave up at the timeout, not before (${waited} s)`);
  // generous: one poll past the deadline, on a machine that may be very busy
  t.ok(waited < 10, `and not long after it (${waited} s)`);
  t.equal((await redis.fleet.registry.get(b.id))?.state, 'draining');
  const undrain = shoal('undrain', b.id);
  t.equal(await undrain.exited(), 0, undrain.stderr());
});

t.test('an unknown server: exit 1 with one clear line', async (t) => {
  const drain = shoal('drain', 'no-such-server');
  t.equal(await drain.exited(), 1);
  t.equal(drain.stderr(), 'shoal: no server with id or address "no-such-server" in the fleet [SHOAL_ERR_NOT_FOUND]\n');
  const undrain = shoal('undrain', '127.0.0.1:1');
  t.equal(await undrain.exited(), 1);
  t.match(undrain.stderr(), /^shoal: no server with id or address "127\.0\.0\.1:1"/);
  const bad = shoal('drain', a.id, '--timeout', 'soon');
  t.equal(await bad.exited(), 2);
  t.match(bad.stderr(), /--timeout/);
});
