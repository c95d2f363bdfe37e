// Shared by the autoscaler end-to-end tests: a real redis-server, a real dynalite, real
// `shoal autoscaler` and `shoal app` processes. Not a test file itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand, type AutoScalingGroup, type CreateAutoScalingGroupCommandInput } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { LocalState, localStateDir } from '../../autoscaler/providers/local-state.js';
import { renderUserData } from '../../ec2/user-data.js';
import type { DecisionRecord } from '../../autoscaler/record.js';
import type { Fleet, Server } from '../../fleet/index.js';
import { testDynalite } from '../helpers/dynalite.js';
import type { TestEc2 } from '../helpers/ec2.js';
import { pidAlive, spawnShoal, type Proc } from '../helpers/proc.js';
import { testRedis, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

type Teardown = (fn: () => unknown) => void;

export interface Stack {
  redis: TestRedis;
  dynamodb: string;
  fleet: Fleet;
  /** The autoscalers' --data-dir: the local provider's pid files, shared by leader and standby. */
  dataDir: string;
}

export async function stack(teardown: Teardown): Promise<Stack> {
  const redis = await testRedis(teardown);
  const dyn = await testDynalite(teardown);
  const dataDir = mkdtempSync(join(tmpdir(), 'shoal-autoscaler-'));
  // the tables exist, so the apps are ready (their /readyz probes DynamoDB) and the proxy routes to them
  const tables = spawnShoal(teardown, ['tables', 'create', '--dynamodb', dyn.endpoint]);
  if ((await tables.exited()) !== 0) throw new Error(`shoal tables create failed: ${tables.stderr()}`);
  // Every app server the autoscalers started is killed by pid, whatever the test did:
  // they are detached and outlive the autoscalers.
  teardown(async () => {
    await new LocalState(localStateDir(dataDir, redis.prefix)).stopAll(0);
    const servers = await redis.fleet.registry.list().catch(() => [] as Server[]);
    for (const s of servers) if (s.provider === 'local') killPid(Number(s.instanceId));
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { redis, dynamodb: dyn.endpoint, fleet: redis.fleet, dataDir };
}

export function killPid(pid: number): void {
  if (!pid || !pidAlive(pid)) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

export interface Scaler {
  proc: Proc;
  admin: string;
  id: string;
  decisions(): Promise<DecisionRecord[]>;
  metric(name: string): Promise<number>;
}

/** `shoal autoscaler` on this stack with small, fast settings; extra flags override. */
export async function autoscaler(teardown: Teardown, s: Stack, flags: string[], env: Record<string, string> = {}): Promise<Scaler> {
  const args = [
    'autoscaler',
    '--redis', s.redis.url,
    '--prefix', s.redis.prefix,
    '--dynamodb', s.dynamodb,
    '--admin-port', '0',
    '--interval', '500ms',
    '--scale-down-window', '2s',
    '--drain-timeout', '10s',
    '--data-dir', s.dataDir,
    ...flags,
  ];
  const proc = spawnShoal(teardown, args, { env });
  // App servers are detached: they outlive this process; the stack's teardown kills them by pid.
  // generous: on a loaded machine the AWS SDK alone takes seconds to load
  const m = await proc.waitForOutput(/shoal autoscaler (\S+) .*admin at (http:\/\/\S+)/, 60_000);
  const admin = m[2]!;
  return {
    proc,
    admin,
    id: m[1]!,
    async decisions() {
      const res = await fetch(`${admin}/decisions?limit=500`);
      return ((await res.json()) as { decisions: DecisionRecord[] }).decisions;
    },
    async metric(name: string) {
      const text = await (await fetch(`${admin}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) if (line.startsWith(name) && /^[^\s{]+(\{[^}]*\})?\s/.test(line)) sum += Number(line.split(/\s+/).pop());
      return sum;
    },
  };
}

export async function readyServers(fleet: Fleet): Promise<Server[]> {
  return (await fleet.registry.list()).filter((x) => x.state === 'ready');
}

export async function waitReady(fleet: Fleet, n: number, timeoutMs = 30_000): Promise<Server[]> {
  return waitFor(
    async () => {
      const ready = await readyServers(fleet);
      return ready.length === n ? ready : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `${n} ready servers` },
  );
}

/** Fires GET `url` + `path` about `rps` times a second until `until()` or `max` requests. */
export async function drive(url: string, rps: number, max: number, until: () => Promise<boolean>, path = '/healthz'): Promise<{ sent: number; failed: number; errors: string[] }> {
  let sent = 0;
  let failed = 0;
  const errors: string[] = [];
  const pending = new Set<Promise<void>>();
  const gapMs = 1000 / rps;
  let lastCheck = 0;
  while (sent < max) {
    const started = Date.now();
    if (started - lastCheck > 200) {
      lastCheck = started;
      if (await until()) break;
    }
    const p = fetch(`${url}${path}`)
      .then(async (r) => {
        const text = await r.text();
        if (!r.ok) {
          failed++;
          errors.push(`HTTP ${r.status} ${text.slice(0, 100)}`);
        }
      })
      .catch((err: Error) => {
        failed++;
        errors.push(String(err.cause ?? err.message));
      })
      .finally(() => pending.delete(p));
    pending.add(p);
    sent++;
    await new Promise((r) => setTimeout(r, Math.max(0, gapMs - (Date.now() - started))));
  }
  await Promise.all(pending);
  return { sent, failed, errors: [...new Set(errors)] };
}

export const SUBNETS = ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'];

/**
 * An Auto Scaling group `web` on the embedded endpoint whose launch template boots
 * `shoal app --provider asg` on this stack (the user data an operator would render); `group()`
 * describes it through an admin client of its own.
 */
export async function appGroup(teardown: Teardown, s: Stack, ec2: TestEc2, over: Partial<CreateAutoScalingGroupCommandInput> = {}): Promise<{ admin: AutoScalingClient; group: () => Promise<AutoScalingGroup> }> {
  const admin = new AutoScalingClient({ endpoint: ec2.endpoint.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  teardown(() => admin.destroy());
  const userData = renderUserData({ region: 'us-east-1', fleet: 'blue', releaseUrl: 'https://releases.invalid/shoal.tgz', redisUrl: s.redis.url, prefix: s.redis.prefix, dynamodb: s.dynamodb, provider: 'asg' });
  await ec2.client().send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'app', LaunchTemplateData: { ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.small', UserData: Buffer.from(userData).toString('base64') } }));
  await admin.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: 'web', LaunchTemplate: { LaunchTemplateName: 'app' }, MinSize: 1, MaxSize: 4, DesiredCapacity: 1, VPCZoneIdentifier: SUBNETS.join(','), ...over }));
  const group = async (): Promise<AutoScalingGroup> => (await admin.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web'] }))).AutoScalingGroups![0]!;
  return { admin, group };
}

export interface SpotInterruption {
  victim: Server;
  replacement: Server;
  /** From the notice to the app leaving the pool (it drains itself). */
  drainingMs: number;
  /** From the notice to a replacement ready and routed. */
  replacedMs: number;
  /** What `shoal ec2 interrupt` printed. */
  cliOut: string;
  load: { sent: number; failed: number; errors: string[] };
}

/**
 * A Spot interruption rehearsed as an operator would, on either provider: 100 req/s through
 * the proxy, `shoal ec2 interrupt` on the first of two routed servers, then the app draining
 * itself and a replacement ready and routed; the load stops once it is.
 */
export async function spotInterruptionUnderLoad(
  teardown: Teardown,
  o: { fleet: Fleet; proxy: { url: string; pool(): Promise<{ members: { state: string; up: boolean }[] }> }; endpointUrl: string; first: Server[]; noticeMs: number },
): Promise<SpotInterruption> {
  const routed = async (n: number) => (await o.proxy.pool()).members.filter((m) => m.state === 'ready' && m.up).length === n;
  const victim = o.first[0]!;
  let replacedAt = 0;
  let checks = 0;
  const load = drive(o.proxy.url, 100, 20_000, async () => {
    checks++;
    return replacedAt > 0;
  });
  // the notice lands on a fleet already serving: drive() checks its stop condition every 200 ms of sending
  await waitFor(() => checks >= 2, { what: 'the load under way' });
  const issuedAt = Date.now();
  const cli = spawnShoal(teardown, ['ec2', 'interrupt', victim.id, '--endpoint', o.endpointUrl, '--notice', `${o.noticeMs / 1000}s`]);
  if ((await cli.exited()) !== 0) throw new Error(`shoal ec2 interrupt failed: ${cli.stderr()}`);
  const drainingAt = await waitFor(async () => ((await o.fleet.registry.get(victim.id))?.state !== 'ready' ? Date.now() : undefined), { timeoutMs: o.noticeMs, intervalMs: 100, what: 'the app drains itself' });
  const replacement = await waitFor(async () => {
    const fresh = (await readyServers(o.fleet)).find((x) => !o.first.some((f) => f.id === x.id));
    return fresh && (await routed(2)) ? fresh : undefined;
  }, { timeoutMs: o.noticeMs, intervalMs: 100, what: 'a replacement ready and routed' });
  replacedAt = Date.now();
  return { victim, replacement, drainingMs: drainingAt - issuedAt, replacedMs: replacedAt - issuedAt, cliOut: cli.stdout(), load: await load };
}
