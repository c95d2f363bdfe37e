// Kills each tier of a `shoal up` stack in turn under a steady open-model load and prints,
// per tier, how long until the API answered 200 again and what share of the load succeeded.
//   npm run bench:tier-kill           (or: node --import tsx bench/tier-kill.ts [--rate 100] [--duration 30s])
// Builds first (it runs dist/cli/shoal.js). Ports are free ones; data in a temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stack } from '../cli/stack/stack-file.js';
import { connectRedis, Fleet } from '../fleet/index.js';
import { buildOrExit } from './lib/build.js';
import { load1 } from './lib/stats.js';

const SHOAL = fileURLToPath(new URL('../dist/cli/shoal.js', import.meta.url));
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const RATE = arg('--rate', '100');
const DURATION = arg('--duration', '30s');
const KILL_AFTER_MS = 8000;
const TIERS = ['proxy', 'dynamodb', 'autoscaler', 'redis', 'app'] as const;

buildOrExit('bench:tier-kill');
const loadAtStart = load1();
const dir = mkdtempSync(join(tmpdir(), 'shoal-tier-kill-'));
const tests = join(dir, 'tests.json');
writeFileSync(tests, JSON.stringify({
  version: 1, target: 'http://127.0.0.1:1', seed: 1, generator: 'bench/tier-kill',
  templates: [{ id: 'list', name: 'list songs', method: 'GET', path: '/api/v1/music?limit=5', headers: {}, body: null, class: 'valid', weight: 1 }],
  chains: [],
}));

const env = { ...process.env, SHOAL_LOG_LEVEL: 'warn' };
const up = spawn(process.execPath, [SHOAL, 'up', '--port', '0', '--admin-port', '0', '--proxy-admin-port', '0', '--min', '2', '--max', '4', '--interval', '1s', '--data-dir', dir], { env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
let out = '';
up.stdout!.on('data', (b: Buffer) => (out += b.toString()));
const done = () => {
  try {
    process.kill(-up.pid!, 'SIGINT');
  } catch {
    // gone
  }
};
process.on('SIGINT', () => (done(), process.exit(130)));

await until(() => /shoal is up/.test(out), 300_000, 'shoal up');
const stackOf = () => JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as Stack;
const stack = stackOf();
const redis = connectRedis(stack.redis.url);
const fleet = new Fleet(redis, stack.prefix);

interface Summary {
  requests: { total: number; ok: number; errors: number; missed: number };
  errors: { byStatus: Record<string, number> };
}
const rows: { tier: string; backAfterS: number; okPercent: number; s: Summary }[] = [];
for (const tier of TIERS) {
  await until(async () => (await fleet.stackProcesses.readAll().catch(() => [])).every((p) => p.state === 'running') && (await readyServers()) >= 2, 120_000, 'a settled stack');
  const jsonFile = join(dir, `${tier}.json`);
  const load = spawn(process.execPath, [SHOAL, 'load', '--tests', tests, '--target', stack.proxy!.url, '--rate', RATE, '--duration', DURATION, '--json', jsonFile], { env, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, KILL_AFTER_MS));
  const killedAt = Date.now();
  kill(await pidOf(tier));
  const backAt = await firstOkAfter(stack.proxy!.url, killedAt);
  await exited(load);
  const s = JSON.parse(readFileSync(jsonFile, 'utf8')) as Summary;
  rows.push({ tier, backAfterS: (backAt - killedAt) / 1000, s, okPercent: (100 * s.requests.ok) / s.requests.total });
}

redis.disconnect();
done();
await exited(up);
rmSync(dir, { recursive: true, force: true });

process.stdout.write(
  `bench:tier-kill — load average ${loadAtStart} at the start, ${load1()} at the end, ${cpus().length} cores — ` +
    `each tier SIGKILLed ${KILL_AFTER_MS / 1000} s into ${DURATION} of ${RATE} req/s (open model)\n\n`,
);
process.stdout.write('tier        API back after   requests ok              failed  missed (not sent in time)  failures by status/code\n');
for (const { tier, backAfterS, okPercent, s } of rows) {
  const ok = `${okPercent.toFixed(2)} % (${s.requests.ok}/${s.requests.total})`;
  const by = Object.entries(s.errors.byStatus).map(([k, n]) => `${k}: ${n}`).join(', ') || '-';
  process.stdout.write(`${tier.padEnd(12)}${`${backAfterS.toFixed(2)} s`.padEnd(17)}${ok.padEnd(25)}${String(s.requests.errors).padEnd(8)}${String(s.requests.missed).padEnd(27)}${by}\n`);
}

async function readyServers(): Promise<number> {
  return (await fleet.registry.list().catch(() => [])).filter((s) => s.state === 'ready').length;
}

async function pidOf(tier: (typeof TIERS)[number]): Promise<number> {
  if (tier === 'app') return Number((await fleet.registry.list()).find((s) => s.state === 'ready')!.instanceId);
  return stackOf()[tier]!.pid!;
}

function kill(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
      return;
    } catch {
      // no group: the pid itself
    }
  }
}

/** Polls GET every 50 ms; the time the first 200 came to a request sent after `since`. */
async function firstOkAfter(url: string, since: number): Promise<number> {
  for (;;) {
    const ok = await fetch(`${url}/api/v1/music?limit=1`, { signal: AbortSignal.timeout(2000) }).then(
      async (r) => (await r.arrayBuffer(), r.status === 200),
      () => false,
    );
    if (ok) return Date.now();
    if (Date.now() - since > 120_000) throw new Error('the API did not come back within 120 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) {
      done();
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
}
