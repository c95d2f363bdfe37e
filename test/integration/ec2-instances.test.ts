import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import t from 'tap';
import { renderUserData } from '../../ec2/user-data.js';
import { testDynalite } from '../helpers/dynalite.js';
import { testEc2 } from '../helpers/ec2.js';
import { pidAlive, spawnShoal } from '../helpers/proc.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(180_000);

const AMI = 'ami-0123456789abcdef0';
const script = (body: string) => Buffer.from(`#!/bin/sh\n${body}\n`).toString('base64');

async function one(c: EC2Client, id: string): Promise<Instance | undefined> {
  const r = await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return r.Reservations?.[0]?.Instances?.[0];
}

async function until(c: EC2Client, id: string, state: string): Promise<Instance> {
  return waitFor(async () => {
    const i = await one(c, id);
    return i?.State?.Name === state ? i : undefined;
  }, { timeoutMs: 30_000, what: `${id} ${state}` });
}

t.test('IMDSv2: a token first, then the instance identity', async (t) => {
  const ec2 = await testEc2(t.teardown);
  const c = ec2.client();
  const r = await c.send(new RunInstancesCommand({ ImageId: AMI, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: 'subnet-0000000000000000c', UserData: script('exec sleep 300') }));
  const id = r.Instances![0]!.InstanceId!;
  await until(c, id, 'running');
  const port = ec2.endpoint.cloud.get(id)!.imdsPort!;
  const base = `http://127.0.0.1:${port}`;
  t.equal((await fetch(`${base}/latest/meta-data/instance-id`)).status, 401, 'no token: 401');
  t.equal((await fetch(`${base}/latest/api/token`, { method: 'PUT' })).status, 400, 'no TTL: 400');
  t.equal((await fetch(`${base}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60', 'x-forwarded-for': '1.2.3.4' } })).status, 403, 'through a proxy: 403');
  const tokenRes = await fetch(`${base}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } });
  t.equal(tokenRes.status, 200);
  const token = await tokenRes.text();
  const get = async (path: string) => {
    const res = await fetch(`${base}/latest/${path}`, { headers: { 'x-aws-ec2-metadata-token': token } });
    return res.status === 200 ? res.text() : res.status;
  };
  t.equal(await get('meta-data/instance-id'), id);
  t.equal(await get('meta-data/local-ipv4'), '127.0.0.1');
  t.equal(await get('meta-data/placement/availability-zone'), 'us-east-1c');
  t.equal(await get('meta-data/placement/region'), 'us-east-1');
  t.equal(await get('meta-data/instance-type'), 't3.micro');
  t.match(await get('meta-data/'), /instance-id\n[\s\S]*placement\//);
  t.equal(await get('meta-data/spot/instance-action'), 404, 'no interruption notice');
  t.equal(await get('user-data'), '#!/bin/sh\nexec sleep 300\n');
  t.match(JSON.parse(String(await get('dynamic/instance-identity/document'))), { instanceId: id, availabilityZone: 'us-east-1c', region: 'us-east-1' });
});

t.test("user data boots a real shoal app that registers under its instance id read from IMDS; terminate drains and stops it", async (t) => {
  const redis = await testRedis(t.teardown);
  const db = await testDynalite(t.teardown);
  const ec2 = await testEc2(t.teardown);
  const c = ec2.client();
  // The tables exist once, as in production (the app does not create them).
  const tables = spawnShoal(t.teardown, ['tables', 'create', '--dynamodb', db.endpoint]);
  t.equal(await tables.exited(), 0);
  const userData = renderUserData({ region: 'us-east-1', fleet: 'test', releaseUrl: 'https://example.invalid/shoal.tgz', redisUrl: redis.url, prefix: redis.prefix, dynamodb: db.endpoint });
  const r = await c.send(
    new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, SubnetId: 'subnet-0000000000000000b', UserData: Buffer.from(userData).toString('base64'), TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'shoal:fleet', Value: 'test' }] }] }),
  );
  const id = r.Instances![0]!.InstanceId!;
  const entry = await waitFor(async () => {
    const s = await redis.fleet.registry.get(id);
    return s?.state === 'ready' ? s : undefined;
  }, { timeoutMs: 60_000, what: 'the app registered ready under its instance id' });
  t.match(entry, { id, provider: 'ec2', instanceId: id, address: /^127\.0\.0\.1:\d+$/ });
  const health = await fetch(`http://${entry.address}/healthz`);
  t.equal(health.status, 200, 'the app serves on its advertised address');

  const root = join(ec2.dataDir, 'instances', id, 'root');
  const env = readFileSync(join(root, 'etc/shoal/app.env'), 'utf8');
  t.match(env, /^SHOAL_PROVIDER='ec2'$/m);
  t.match(env, /^SHOAL_FLEET='test'$/m);
  t.equal(statSync(join(root, 'etc/shoal/app.env')).mode & 0o777, 0o600, 'app.env is 0600');

  const pid = ec2.endpoint.cloud.get(id)!.pid!;
  t.ok(pidAlive(pid));
  await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  const gone = await until(c, id, 'terminated');
  t.match(gone.StateReason, { Code: 'Client.UserInitiatedShutdown' });
  t.notOk(pidAlive(pid), 'the process is gone');
  t.equal((await redis.fleet.registry.get(id))?.state, 'gone', 'the app drained and marked itself gone');
});

t.test('an instance whose process exits on its own is terminated (instance-initiated shutdown)', async (t) => {
  const ec2 = await testEc2(t.teardown);
  const c = ec2.client();
  const r = await c.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, UserData: script('echo booting; exit 3') }));
  const id = r.Instances![0]!.InstanceId!;
  const i = await until(c, id, 'terminated');
  t.match(i, { StateReason: { Code: 'Client.InstanceInitiatedShutdown' }, StateTransitionReason: /^Service initiated/ });
  t.match(readFileSync(join(ec2.dataDir, 'instances', id, 'console.log'), 'utf8'), /booting/, 'its output is on its console');
});

t.test('no orphans: the endpoint stopped (SIGTERM or SIGKILL) takes its instances along; a restart remembers them terminated', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'shoal-ec2-proc-'));
  const start = () => spawnShoal(t.teardown, ['ec2', 'endpoint', '--port', '0', '--data-dir', dataDir, '--kill-timeout', '3s']);
  const client = (url: string) => {
    const c = new EC2Client({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    t.teardown(() => c.destroy());
    return c;
  };
  const READY = /ready at (http:\/\/\S+)/;
  // A script that forks a child too: the whole group must go.
  const userData = script('sleep 300 & exec sleep 301');

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const ep = start();
    const [, url] = await ep.waitForOutput(READY);
    const c = client(url!);
    const r = await c.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 2, MaxCount: 2, UserData: userData }));
    const ids = r.Instances!.map((i) => i.InstanceId!);
    for (const id of ids) await until(c, id, 'running');
    const listed = (await (await fetch(`${url}/admin/instances`)).json()) as { instanceId: string; pid: number }[];
    const pids = listed.filter((i) => ids.includes(i.instanceId)).map((i) => i.pid);
    t.equal(pids.length, 2);
    const code = await ep.stop(signal);
    t.equal(code, signal === 'SIGTERM' ? 0 : 'SIGKILL', `endpoint stopped by ${signal}`);
    await waitFor(() => pids.every((p) => !pidAlive(p)), { timeoutMs: 15_000, what: `instance processes gone after ${signal}` });
    t.pass(`no instance process outlives the endpoint (${signal})`);
  }

  const again = start();
  const [, url] = await again.waitForOutput(READY);
  const c = client(url!);
  const all = await c.send(new DescribeInstancesCommand({}));
  const states = (all.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.State?.Name);
  t.equal(states.length, 4, 'the restarted endpoint still lists both runs’ instances');
  t.ok(states.every((s) => s === 'terminated'), 'all terminated');
  t.equal(await again.stop('SIGTERM'), 0);
});
