// Shared by the autoscaler end-to-end tests: a real redis-server, a real dynalite, real
// `shoal autoscaler` and `shoal app` processes. Not a test file itself.
import type { DecisionRecord } from '../../autoscaler/record.js';
import type { Fleet, Server } from '../../fleet/index.js';
import { testDynalite } from '../helpers/dynalite.js';
import { pidAlive, spawnShoal, type Proc } from '../helpers/proc.js';
import { testRedis, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

type Teardown = (fn: () => unknown) => void;

export interface Stack {
  redis: TestRedis;
  dynamodb: string;
  fleet: Fleet;
}

export async function stack(teardown: Teardown): Promise<Stack> {
  const redis = await testRedis(teardown);
  const dyn = await testDynalite(teardown);
  // Every app server the autoscalers started is killed by pid, whatever the test did.
  teardown(async () => {
    const servers = await redis.fleet.registry.list().catch(() => [] as Server[]);
    for (const s of servers) killPid(Number(s.instanceId));
  });
  return { redis, dynamodb: dyn.endpoint, fleet: redis.fleet };
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
export async function autoscaler(teardown: Teardown, s: Stack, flags: string[]): Promise<Scaler> {
  const args = [
    'autoscaler',
    '--redis', s.redis.url,
    '--prefix', s.redis.prefix,
    '--dynamodb', s.dynamodb,
    '--admin-port', '0',
    '--interval', '500ms',
    '--scale-down-window', '2s',
    '--drain-timeout', '10s',
    ...flags,
  ];
  const proc = spawnShoal(teardown, args);
  // App servers are children of this process; if it is SIGKILLed they exit on their own
  // (parent watch), and the stack's teardown kills whatever is left by pid.
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

/** Fires GET /healthz at `url` about `rps` times a second until `until()` or `max` requests. */
export async function drive(url: string, rps: number, max: number, until: () => Promise<boolean>): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  const pending = new Set<Promise<void>>();
  const gapMs = 1000 / rps;
  let lastCheck = 0;
  while (sent < max) {
    const started = Date.now();
    if (started - lastCheck > 200) {
      lastCheck = started;
      if (await until()) break;
    }
    const p = fetch(`${url}/healthz`)
      .then(async (r) => {
        await r.arrayBuffer();
        if (!r.ok) failed++;
      })
      .catch(() => void failed++)
      .finally(() => pending.delete(p));
    pending.add(p);
    sent++;
    await new Promise((r) => setTimeout(r, Math.max(0, gapMs - (Date.now() - started))));
  }
  await Promise.all(pending);
  return { sent, failed };
}
