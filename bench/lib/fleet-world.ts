// The world bench:fleet's autoscaler looks at, in its own process (as AWS and 1,000 app
// servers are not on the autoscaler's CPU in production): the embedded EC2 endpoint with N
// running instances (bare: no process each) plus the recently terminated ones a churning
// fleet shows for an hour, and N servers in Redis — registry entries with heartbeats every
// 2 s and request hashes written every second (the monitors' rate). Prints one JSON line
// `{"endpoint", "subnets"}` once all is written, then keeps writing until SIGTERM.
//   node --import tsx bench/lib/fleet-world.ts REDIS_URL PREFIX N TERMINATED
import { EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { startEc2Endpoint } from '../../ec2/embedded.js';
import { connectRedis, Fleet } from '../../fleet/index.js';
import { createLogger } from '../../lib/log.js';

const FLEET_SUBNETS = ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'];
const [redisUrl, prefix, nArg, terminatedArg] = process.argv.slice(2);
const N = Number(nArg);
const TERMINATED = Number(terminatedArg);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// Nobody answers on these addresses: the proxy's probes fail fast.
const address = (k: number) => `127.0.0.1:${20000 + k}`;
const redis = connectRedis(redisUrl!, { name: 'bench-apps', commandTimeoutMs: 60_000 });
const apps = new Fleet(redis, prefix!);
const ec2 = await startEc2Endpoint({ port: 0, dataDir: `/tmp/shoal-bench-fleet-${process.pid}`, bareInstances: true, terminatedTtlMs: 3_600_000 }, { log: createLogger('ec2', 'silent') });
const client = new EC2Client({ endpoint: ec2.url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });

// Instances tagged as the ec2 provider tags them, launched 250 per call over three zones.
const tags = [{ Key: 'shoal:fleet', Value: 'bench' }, { Key: 'shoal:role', Value: 'app' }];
const launch = async (count: number): Promise<string[]> => {
  const ids: string[] = [];
  for (let k = 0; k < count; k += 250) {
    const n = Math.min(250, count - k);
    const r = await client.send(new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.small', MinCount: n, MaxCount: n, SubnetId: FLEET_SUBNETS[(k / 250) % 3], TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] }));
    ids.push(...r.Instances!.map((i) => i.InstanceId!));
  }
  return ids;
};
const ids = await launch(N);
const churned = await launch(TERMINATED);
for (let k = 0; k < churned.length; k += 250) await client.send(new TerminateInstancesCommand({ InstanceIds: churned.slice(k, k + 250) }));

for (const [k, id] of ids.entries()) {
  await apps.registry.launching(id, { provider: 'ec2', instanceId: id, zone: 'us-east-1a' });
  await apps.registry.ready(id, { address: address(k), host: 'bench', bootId: `b${k}` });
}
// One pipeline per server per second in production; one pipeline for all of them here.
let tick = 0;
const write = async () => {
  const now = Date.now();
  const pipe = redis.pipeline();
  for (const [k, id] of ids.entries()) {
    apps.requests.write(pipe, address(k), { serverId: id, bootId: `b${k}`, total: tick * 10, s2xx: tick * 10, s3xx: 0, s4xx: 0, s5xx: 0, inflight: 0, rps: 10, p50Ms: 1, p95Ms: 3, updatedAt: now });
  }
  await pipe.exec();
  if (tick % 2 === 0) await Promise.all(ids.map((id, k) => apps.registry.heartbeat(id, { state: 'ready', provider: 'ec2', instanceId: id, address: address(k) }, now)));
  tick++;
};
await write();
const writer = setInterval(() => void write().catch((err: Error) => process.stderr.write(`bench:fleet: the apps' writes fell behind: ${err.message}\n`)), 1000);
process.stdout.write(JSON.stringify({ endpoint: ec2.url, subnets: FLEET_SUBNETS }) + '\n');

process.once('SIGTERM', () => {
  clearInterval(writer);
  client.destroy();
  redis.disconnect();
  void ec2.close().then(() => process.exit(0));
});
