// bench:fleet's app servers, in their own process: a registry entry for each running instance
// of the fleet (listed once from the endpoint), heartbeats every 2 s and request hashes every
// second (the monitors' rate). Each app server flushes on its own timer, so the writes are
// spread over the second in tenths, not one burst. Prints `ready` once every entry is written,
// then keeps writing until SIGTERM.
//   node --import tsx bench/lib/fleet-apps.ts REDIS_URL PREFIX EC2_ENDPOINT ec2|asg TAG_KEY TAG_VALUE
import { EC2Client, paginateDescribeInstances } from '@aws-sdk/client-ec2';
import { connectRedis, Fleet } from '../../fleet/index.js';

const [redisUrl, prefix, endpoint, provider, tagKey, tagValue] = process.argv.slice(2);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const SLICES = 10;

// Nobody answers on these addresses: the proxy's probes fail fast.
const address = (k: number) => `127.0.0.1:${20000 + k}`;
const redis = connectRedis(redisUrl!, { name: 'bench-apps', commandTimeoutMs: 60_000 });
const apps = new Fleet(redis, prefix!);
const client = new EC2Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
const ids: string[] = [];
const pages = paginateDescribeInstances({ client, pageSize: 1000 }, { Filters: [{ Name: `tag:${tagKey}`, Values: [tagValue!] }, { Name: 'instance-state-name', Values: ['running'] }] });
for await (const page of pages) for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) ids.push(i.InstanceId!);
client.destroy();

for (const [k, id] of ids.entries()) {
  await apps.registry.launching(id, { provider: provider!, instanceId: id, zone: 'us-east-1a' });
  await apps.registry.ready(id, { address: address(k), host: 'bench', bootId: `b${k}` });
}
let tick = 0;
// One tenth of the fleet every 100 ms: its request hashes (one pipeline), and every other second its heartbeats.
const write = async () => {
  const slice = tick % SLICES;
  const second = Math.floor(tick / SLICES);
  const now = Date.now();
  const mine = [...ids.entries()].filter(([k]) => k % SLICES === slice);
  const pipe = redis.pipeline();
  for (const [k, id] of mine) {
    apps.requests.write(pipe, address(k), { serverId: id, bootId: `b${k}`, total: second * 10, s2xx: second * 10, s3xx: 0, s4xx: 0, s5xx: 0, inflight: 0, rps: 10, p50Ms: 1, p95Ms: 3, updatedAt: now });
  }
  await pipe.exec();
  if (second % 2 === 0) await Promise.all(mine.map(([k, id]) => apps.registry.heartbeat(id, { state: 'ready', provider: provider!, instanceId: id, address: address(k) }, now)));
  tick++;
};
for (let k = 0; k < SLICES; k++) await write();
const writer = setInterval(() => void write().catch((err: Error) => process.stderr.write(`bench:fleet: the apps' writes fell behind: ${err.message}\n`)), 1000 / SLICES);
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  clearInterval(writer);
  redis.disconnect();
  process.exit(0);
});
