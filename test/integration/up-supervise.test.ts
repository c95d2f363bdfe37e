import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Stack } from '../../cli/stack/stack-file.js';
import { statusSource } from '../../cli/status/source.js';
import type { DashboardUpdate } from '../../dashboard/feed.js';
import { connectRedis, Fleet, type StackProcess } from '../../fleet/index.js';
import { pidAlive, spawnShoal, type Proc } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

// One `shoal up` for the whole file (starting a stack is the slow part): each tier is
// killed in turn under light load, then Redis is frozen, then a crash loop ends the stack.
t.setTimeout(600_000);

const dataDir = mkdtempSync(join(tmpdir(), 'shoal-supervise-'));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));

const seen = new Set<number>();
let frozen = 0;
t.teardown(() => {
  if (frozen) signal(frozen, 'SIGCONT');
  for (const pid of seen) signal(pid, 'SIGKILL');
});

function signal(pid: number, sig: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, sig);
      return;
    } catch {
      // no such group, or gone
    }
  }
}

function readStack(): Stack {
  const s = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')) as Stack;
  for (const p of [s.redis.pid, s.dynamodb.pid, s.proxy?.pid, s.autoscaler?.pid]) if (p) seen.add(p);
  return s;
}

/** GET /api/v1/music every 50 ms through the proxy; remembers when each answer came and how. */
class LightLoad {
  readonly answers: { at: number; ok: boolean }[] = [];
  private timer: NodeJS.Timeout;
  constructor(private readonly url: string) {
    this.timer = setInterval(() => void this.once(), 50);
  }
  private async once(): Promise<void> {
    const ok = await fetch(`${this.url}/api/v1/music?limit=1`, { signal: AbortSignal.timeout(5000) }).then(
      async (r) => (await r.arrayBuffer(), r.status === 200),
      () => false,
    );
    this.answers.push({ at: Date.now(), ok });
  }
  /** Waits for a 200 to a request sent after `since`; the seconds it took. */
  async backSince(since: number, what: string): Promise<number> {
    const a = await waitFor(() => this.answers.find((x) => x.ok && x.at > since + 50), { timeoutMs: 60_000, intervalMs: 50, what });
    return (a.at - since) / 1000;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

let up: Proc;
let stack: Stack;
let fleet: Fleet;
let load: LightLoad;

t.before(async () => {
  up = spawnShoal(t.teardown, ['up', '--port', '0', '--admin-port', '0', '--proxy-admin-port', '0', '--min', '2', '--max', '3', '--interval', '1s', '--no-seed', '--restart-burst', '3', '--data-dir', dataDir], { detached: true });
  await up.waitForOutput(/shoal is up/, 180_000);
  stack = readStack();
  const redis = connectRedis(stack.redis.url);
  t.teardown(() => redis.disconnect());
  fleet = new Fleet(redis, stack.prefix);
  for (const s of await fleet.registry.list()) seen.add(Number(s.instanceId));
  load = new LightLoad(stack.proxy!.url);
  t.teardown(() => load.stop());
});

async function processRecord(name: string): Promise<StackProcess | undefined> {
  return (await fleet.stackProcesses.readAll().catch(() => [])).find((p) => p.name === name);
}

for (const tier of ['proxy', 'dynamodb', 'autoscaler', 'redis'] as const) {
  t.test(`${tier} killed: reported at once, restarted on the same port, the API serves again`, async (t) => {
    const before = readStack();
    const pid = before[tier]!.pid!;
    const token = (await fleet.leader.current())?.token ?? 0;
    const version = await fleet.registry.poolVersion();
    const killedAt = Date.now();
    signal(pid, 'SIGKILL');
    const line = await up.waitForOutput(new RegExp(`${tier} +exited \\(SIGKILL\\); restart 1/3 in \\d+ ms \\(log .*`), 20_000);
    t.ok(line[0].includes(`(log ${join(dataDir, 'logs', `${tier}.log`)}`), `the line names its log: ${line[0]}`);
    const record = await waitFor(
      async () => {
        const r = await processRecord(tier);
        return r && r.state === 'running' && r.pid !== pid ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `${tier} running again` },
    );
    t.match(record, { restarts: 1, lastExit: 'SIGKILL' });
    const after = await waitFor(() => (readStack()[tier]!.pid === record.pid ? readStack() : undefined), { what: 'stack.json to have the new pid' });
    t.same(addressOf(after, tier), addressOf(before, tier), 'same address as before');
    t.comment(`API served again ${await load.backSince(killedAt, `the API after the ${tier} kill`)} s after the kill`);
    if (tier === 'redis') {
      // The append-only file brought the fleet back: nothing went back.
      t.ok((await fleet.registry.poolVersion()) >= version, 'pool version did not go back');
      await waitFor(async () => ((await fleet.leader.current())?.token ?? 0) > 0, { what: 'a leader again' });
      t.ok((await fleet.leader.current())!.token >= token, 'fencing token did not go back');
    }
  });
}

t.test('an app server killed: the API keeps serving and the autoscaler replaces it', async (t) => {
  const ready = (await fleet.registry.list()).filter((s) => s.state === 'ready');
  const victim = ready[0]!;
  const killedAt = Date.now();
  signal(Number(victim.instanceId), 'SIGKILL');
  t.comment(`API served ${await load.backSince(killedAt, 'the API after the app kill')} s after the kill`);
  const replaced = await waitFor(
    async () => {
      const now = (await fleet.registry.list()).filter((s) => s.state === 'ready');
      for (const s of now) seen.add(Number(s.instanceId));
      return now.length === 2 && !now.some((s) => s.id === victim.id) ? now : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250, what: 'a replacement app server' },
  );
  t.equal(replaced.length, 2);
});

t.test('shoal status shows every restart', async (t) => {
  const status = spawnShoal(t.teardown, ['status', '--json', '--data-dir', dataDir]);
  t.equal(await status.exited(), 0);
  const view = JSON.parse(status.stdout()) as { processes: { name: string; restarts: number; lastExit: string }[] };
  t.same(
    view.processes.map((p) => `${p.name}:${p.restarts}:${p.lastExit}`).sort(),
    ['autoscaler:1:SIGKILL', 'dynamodb:1:SIGKILL', 'proxy:1:SIGKILL', 'redis:1:SIGKILL'],
  );
  const text = spawnShoal(t.teardown, ['status', '--data-dir', dataDir]);
  t.equal(await text.exited(), 0);
  t.match(text.stdout(), /^proxy +\d+ +running +1 +SIGKILL, \d+s ago/m);
  const feed = await dashboardUpdate(readStack().dashboard!, (u) => u.status.processes.length === 4);
  t.same(feed.status.processes.map((p) => p.restarts), [1, 1, 1, 1], 'the dashboard shows them too');
});

t.test('Redis frozen (SIGSTOP): status says "cannot reach Redis" instead of hanging; proxy and autoscaler report it down', async (t) => {
  const s = readStack();
  frozen = s.redis.pid!;
  signal(frozen, 'SIGSTOP');
  t.teardown(() => {
    signal(frozen, 'SIGCONT');
    frozen = 0;
  });
  const pool = await waitFor(
    async () => {
      const p = (await (await fetch(`${s.proxy!.adminUrl}/pool`)).json()) as { redis: string };
      return p.redis === 'down' ? p : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 100, what: 'the proxy to report Redis down' },
  );
  t.equal(pool.redis, 'down');
  await waitFor(async () => ((await (await fetch(`${s.autoscaler!.adminUrl}/healthz`)).json()) as { redis: string }).redis === 'down', {
    timeoutMs: 10_000,
    intervalMs: 100,
    what: 'the autoscaler to report Redis down',
  });
  // What `shoal status` does, timed without node's start-up (seconds on a loaded machine)
  const source = statusSource({ redisUrl: s.redis.url, prefix: s.prefix });
  const readAt = Date.now();
  await t.rejects(source.read(), { code: 'SHOAL_ERR_REDIS_UNREACHABLE' });
  const tookMs = Date.now() - readAt;
  source.close();
  t.ok(tookMs <= 2000, `the status read gave up after ${tookMs} ms (≤ 2 s)`);
  await dashboardUpdate(s.dashboard!, (u) => u.redis === 'down');
  t.pass('the dashboard feed says Redis is down');
  const started = Date.now();
  const status = spawnShoal(t.teardown, ['status', '--data-dir', dataDir]);
  t.equal(await status.exited(), 1);
  t.match(status.stderr(), /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/);
  t.comment(`shoal status answered in ${Date.now() - started} ms, node start-up included`);
  const served = await load.backSince(Date.now(), 'the API while Redis is frozen');
  t.ok(served < 10, 'the proxy keeps serving its last known pool');

  signal(frozen, 'SIGCONT');
  frozen = 0;
  await waitFor(async () => ((await (await fetch(`${s.proxy!.adminUrl}/pool`)).json()) as { redis: string }).redis === 'up', {
    timeoutMs: 10_000,
    intervalMs: 100,
    what: 'the proxy to report Redis up again',
  });
});

t.test('a child that can never start again: shoal up stops everything and exits 1 with one clear line', async (t) => {
  load.stop();
  const s = readStack();
  for (const x of await fleet.registry.list()) if (x.state !== 'gone') seen.add(Number(x.instanceId));
  // Another live process holds dynalite's data dir, so each restart fails at once.
  writeFileSync(join(dataDir, 'dynamodb.lock'), `${process.pid}\n`);
  signal(s.dynamodb.pid!, 'SIGKILL');
  t.equal(await up.exited(), 1);
  t.match(up.stderr(), /shoal: dynamodb exited \(start failed\) after 3 restarts within 60 s: giving up, stopping the stack \(log \S+dynamodb\.log: .*already in use by process/);
  t.match(up.stdout(), /dynamodb +exited \(start failed\); restart [2-3]\/3/);
  await waitFor(() => [...seen].every((p) => !pidAlive(p)), { timeoutMs: 30_000, what: `every process to exit (left: ${[...seen].filter(pidAlive).join(',')})` });
  t.pass('nothing left running');
});

/** The first update on the dashboard's server-sent events that passes `check`. */
async function dashboardUpdate(url: string, check: (u: DashboardUpdate) => boolean): Promise<DashboardUpdate> {
  const res = await fetch(`${url}events`, { signal: AbortSignal.timeout(30_000) });
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
        const m = /^event: update\ndata: (.*)$/s.exec(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
        const u = m ? (JSON.parse(m[1]!) as DashboardUpdate) : undefined;
        if (u && check(u)) return u;
      }
    }
  } finally {
    await res.body?.cancel().catch(() => {});
  }
  throw new Error('the dashboard feed ended');
}

function addressOf(s: Stack, tier: 'proxy' | 'dynamodb' | 'autoscaler' | 'redis'): string {
  if (tier === 'proxy') return `${s.proxy!.url} ${s.proxy!.adminUrl}`;
  if (tier === 'autoscaler') return s.autoscaler!.adminUrl;
  if (tier === 'dynamodb') return s.dynamodb.endpoint;
  return s.redis.url;
}
