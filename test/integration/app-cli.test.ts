import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startEmbeddedDynamo } from '../../app/dynamodb/embedded.js';
import { testDynalite } from '../helpers/dynalite.js';
import { pidAlive, spawnShoal } from '../helpers/proc.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(240_000); // generous: the shared machine can be slow

const READY = /shoal app (\S+) ready at http:\/\/(\S+)/;

t.test('launched entry → ready; SIGTERM drains: in-flight request finishes, entry ends gone, exit 0', async (t) => {
  const redis = await testRedis(t.teardown);
  const db = await testDynalite(t.teardown);
  await redis.fleet.registry.launching('srv-1', { provider: 'local', instanceId: 'i-123' });
  const app = spawnShoal(t.teardown, ['app', '--port', '0', '--dynamodb', db.endpoint, '--create-tables', '--monitor-interval', '100ms', '--heartbeat-interval', '100ms'], {
    env: { REDIS_URL: redis.url, SHOAL_PREFIX: redis.prefix, SHOAL_SERVER_ID: 'srv-1' },
  });
  const [, id, address] = await app.waitForOutput(READY, 60_000);
  t.equal(id, 'srv-1');
  t.equal(app.stdout().trim().split('\n').length, 1, 'exactly one stdout line');
  t.match(await redis.fleet.registry.get('srv-1'), { state: 'ready', address, provider: 'local', instanceId: 'i-123' }, "launcher's fields kept");

  // A slow client: headers and half the body now, the rest after SIGTERM.
  const [host, port] = [address!.split(':')[0]!, Number(address!.split(':')[1])];
  const sock = connect(port, host);
  let response = '';
  sock.on('data', (b) => (response += b.toString()));
  const body = JSON.stringify({ fname: 'Slow', lname: 'Client', email: 'slow@example.com' });
  sock.write(`POST /api/v1/users HTTP/1.1\r\nHost: ${address}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
  await waitFor(async () => (await redis.fleet.requests.read(address!))?.inflight === 1, { what: 'request in flight' });

  app.child.kill('SIGTERM');
  await waitFor(async () => (await redis.fleet.registry.get('srv-1'))?.state === 'draining', { what: 'draining' });
  // Stopped accepting: a new connection is refused while the old request is still open.
  const refused = () =>
    new Promise<boolean>((resolve) => {
      const s = connect(port, host);
      s.once('connect', () => (s.destroy(), resolve(false)));
      s.once('error', () => resolve(true));
    });
  t.ok(await waitFor(refused, { what: 'listener closed' }), 'new connections refused while draining');
  t.ok(pidAlive(app.pid), 'still running while a request is in flight');

  sock.write(body.slice(10));
  await waitFor(() => response.includes('\r\n\r\n{'), { what: 'response to the in-flight request' });
  t.match(response, /^HTTP\/1\.1 201 /);
  t.match(response, /\r\nConnection: close\r\n/i);
  t.match(response, /"fname":"Slow"/);
  sock.destroy();

  t.equal(await app.exited(), 0);
  t.equal((await redis.fleet.registry.get('srv-1'))?.state, 'gone');
  t.equal((await redis.fleet.requests.read(address!))?.total, 1, 'final monitor flush carried the request');
});

t.test('parent-death watch: SHOAL_PARENT_PID gone → graceful exit', async (t) => {
  const redis = await testRedis(t.teardown);
  const db = await testDynalite(t.teardown);
  const parent = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  t.teardown(() => void parent.kill('SIGKILL'));
  const app = spawnShoal(t.teardown, ['app', '--port', '0', '--dynamodb', db.endpoint, '--redis', redis.url, '--prefix', redis.prefix], {
    env: { SHOAL_PARENT_PID: String(parent.pid) },
  });
  const [, id] = await app.waitForOutput(READY, 60_000);
  parent.kill('SIGKILL');
  t.equal(await app.exited(), 0);
  t.equal((await redis.fleet.registry.get(id!))?.state, 'gone');
});

t.test('config errors exit 2 with one line naming the flag', async (t) => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--port', '70000'], {}, /--port \(SHOAL_APP_PORT\)/],
    [['--port', 'abc'], {}, /--port \(SHOAL_APP_PORT\)/],
    [[], { SHOAL_APP_PORT: '-1' }, /--port \(SHOAL_APP_PORT\)/],
    [[], { REDIS_URL: 'http://localhost:6379' }, /--redis \(REDIS_URL\)/],
    [['--advertise', '0.0.0.0:3000'], {}, /--advertise \(SHOAL_APP_ADVERTISE\).*0\.0\.0\.0/],
    [['--advertise', 'host-without-port'], {}, /--advertise \(SHOAL_APP_ADVERTISE\)/],
    [['--drain-timeout', 'soon'], {}, /--drain-timeout/],
    [['--dynamodb', 'mysql://x'], {}, /--dynamodb \(SHOAL_DYNAMODB\).*embedded, aws or an http/],
    [[], { DYNAMODB_ENDPOINT: 'not a url' }, /DYNAMODB_ENDPOINT/],
    [['--table-prefix', 'bad prefix!'], {}, /--table-prefix/],
    [['--no-such-flag'], {}, /unknown option/],
  ];
  // A few at a time: the machine has two cores shared with other test runs.
  for (let i = 0; i < cases.length; i += 3) {
    await Promise.all(cases.slice(i, i + 3).map(async ([args, env, re]) => {
      const p = spawnShoal(t.teardown, ['app', '--data-dir', ':memory:', ...args], { env });
      t.equal(await p.exited(), 2, `${args.join(' ')} ${JSON.stringify(env)} exits 2`);
      const lines = p.stderr().trim().split('\n');
      t.equal(lines.length, 1, `one line: ${p.stderr()}`);
      t.match(lines[0], re);
      t.equal(p.stdout(), '');
    }));
  }
});

t.test('no usable DynamoDB (no region, no credentials, no endpoint) exits 2 naming the three choices', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'shoal-home-'));
  const env: Record<string, string | undefined> = { HOME: home, DYNAMODB_ENDPOINT: undefined, SHOAL_DYNAMODB: undefined, AWS_EC2_METADATA_DISABLED: 'true' };
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_') && k !== 'AWS_EC2_METADATA_DISABLED') env[k] = undefined;
  const p = spawnShoal(t.teardown, ['app', '--port', '0'], { env });
  t.equal(await p.exited(), 2);
  const lines = p.stderr().trim().split('\n');
  t.equal(lines.length, 1, `one line: ${p.stderr()}`);
  t.match(lines[0], /no usable DynamoDB/);
  t.match(lines[0], /--dynamodb embedded/);
  t.match(lines[0], /--dynamodb aws/);
  t.match(lines[0], /--dynamodb URL/);
  t.match(lines[0], /AWS_REGION/);
});

t.test('one embedded dynalite per data dir: a second one gets a clear error; a stale lock is taken over', async (t) => {
  const redis = await testRedis(t.teardown);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-data-'));
  const first = spawnShoal(t.teardown, ['app', '--port', '0', '--dynamodb', 'embedded', '--data-dir', dir, '--create-tables', '--redis', redis.url, '--prefix', redis.prefix]);
  await first.waitForOutput(READY, 60_000);

  const second = spawnShoal(t.teardown, ['app', '--port', '0', '--dynamodb', 'embedded', '--data-dir', dir, '--redis', redis.url, '--prefix', redis.prefix]);
  t.equal(await second.exited(), 2);
  t.match(second.stderr(), new RegExp(`already in use by process ${first.pid}.*--dynamodb URL.*SHOAL_ERR_DATA_DIR_LOCKED`));
  await t.rejects(startEmbeddedDynamo(dir), { code: 'SHOAL_ERR_DATA_DIR_LOCKED' }, 'in-process too');

  t.equal(await first.stop('SIGTERM'), 0);
  // The bundled app kept its compiled code for the next start (Node 20: V8's code cache; ≥ 22: Node's compile cache).
  t.ok(readdirSync(join(dir, 'compile-cache')).length > 0, 'a compile cache in the data dir');
  // A lock left by a process that died without cleaning up does not block the next start.
  writeFileSync(join(dir, 'dynamodb.lock'), '999999999\n');
  const db = await startEmbeddedDynamo(dir);
  t.teardown(() => db.close());
  await t.rejects(startEmbeddedDynamo(dir), { code: 'SHOAL_ERR_DATA_DIR_LOCKED' }, 'a second in the same process is refused');
  t.ok(db.endpoint.startsWith('http://127.0.0.1:'));
});
