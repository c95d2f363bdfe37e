// An app server booted from user data on the embedded EC2 endpoint reaches a Redis behind
// Sentinel (as `shoal up --redis-ha` runs it: a primary and a replica, both with a password,
// and three sentinels): the boot script carries REDIS_SENTINELS, REDIS_SENTINEL_NAME and the
// password into app.env (0600), never onto a command line.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import t from 'tap';
import { hasSecret, renderUserData } from '../../ec2/user-data.js';
import { connectRedis, Fleet } from '../../fleet/index.js';
import { startSentinel } from '../../lib/redis-sentinel.js';
import { startRedisServer, type EmbeddedRedis } from '../../lib/redis-server.js';
import { testDynalite } from '../helpers/dynalite.js';
import { testEc2 } from '../helpers/ec2.js';
import { spawnShoal } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(120_000);

const PASSWORD = 'se/cr@t pw';

t.test('user data with Sentinels and a password: the instance connects through Sentinel; the password only in app.env (0600) and the environment', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-sentinel-'));
  const started: EmbeddedRedis[] = [];
  t.teardown(async () => {
    for (const r of started.reverse()) await r.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const primary = await startRedisServer({ password: PASSWORD });
  started.push(primary);
  started.push(await startRedisServer({ password: PASSWORD, replicaOf: primary.port }));
  for (const i of [1, 2, 3]) started.push(await startSentinel({ primaryPort: primary.port, name: 'shoal', dir: join(dir, `s${i}`), password: PASSWORD }));
  const sentinels = started.slice(2).map((s) => `127.0.0.1:${s.port}`);
  const url = `redis-sentinel://:${encodeURIComponent(PASSWORD)}@${sentinels.join(',')}/shoal`;
  const prefix = `t${process.pid}:`;
  const redis = connectRedis(url, { name: 'test' });
  t.teardown(() => redis.disconnect());
  await waitFor(async () => (await redis.ping().catch(() => '')) === 'PONG' || undefined, { timeoutMs: 30_000, what: 'the test client through Sentinel' });
  const fleet = new Fleet(redis, prefix);

  const db = await testDynalite(t.teardown);
  const tables = spawnShoal(t.teardown, ['tables', 'create', '--dynamodb', db.endpoint]);
  t.equal(await tables.exited(), 0);
  const ec2 = await testEc2(t.teardown);
  t.ok(hasSecret(url), 'a Sentinel URL with a password is a secret (the CLI writes it only with --out, 0600)');
  const userData = renderUserData({ region: 'us-east-1', fleet: 'ha', releaseUrl: 'https://example.invalid/shoal.tgz', redisUrl: url, prefix, dynamodb: db.endpoint });
  t.notMatch(userData, /REDIS_URL=/, 'no REDIS_URL: the Sentinel variables instead');
  const r = await ec2.client().send(new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 1, MaxCount: 1, UserData: Buffer.from(userData).toString('base64') }));
  const id = r.Instances![0]!.InstanceId!;
  const entry = await waitFor(async () => {
    const s = await fleet.registry.get(id);
    return s?.state === 'ready' ? s : undefined;
  }, { timeoutMs: 60_000, what: 'the app registered ready through Sentinel' });
  t.match(entry, { id, provider: 'ec2', instanceId: id });

  const envFile = join(ec2.dataDir, 'instances', id, 'root/etc/shoal/app.env');
  const env = readFileSync(envFile, 'utf8');
  t.match(env, new RegExp(`^REDIS_SENTINELS='${sentinels.join(',')}'$`, 'm'));
  t.match(env, /^REDIS_SENTINEL_NAME='shoal'$/m);
  t.match(env, new RegExp(`^REDIS_PASSWORD='${PASSWORD}'$`, 'm'), 'the password, in the clear, in app.env only');
  t.equal(statSync(envFile).mode & 0o777, 0o600, 'app.env is 0600');
  t.equal(statSync(join(ec2.dataDir, 'instances', id, 'user-data')).mode & 0o077, 0, "the instance's copy of the user data is owner-only");
  const pid = ec2.endpoint.cloud.get(id)!.pid!;
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  t.match(argv, /shoal\.js\0app/, 'the instance runs shoal app');
  t.notOk(argv.includes(PASSWORD) || argv.includes(encodeURIComponent(PASSWORD)), 'the password is on no command line');
});
