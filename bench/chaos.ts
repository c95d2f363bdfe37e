// The closing figures of the chaos work, each from a shipped experiment run at its own rate
// against a fresh `shoal up` (free ports, a temp data dir):
//   kill-server        1 of 3 servers SIGKILLed at 300 req/s → success %, p95
//   no-wait-flood      1000 sockets/s held 10 s → proxy RSS, and whether another client was served
//   kill-redis-primary (shoal up --redis-ha) → seconds until writes succeed again
//   npm run bench:chaos      (on a machine doing nothing else)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Journal } from '../chaos/journal.js';
import type { Stack } from '../cli/stack/stack-file.js';
import { connectRedis, Fleet, isLive } from '../fleet/index.js';
import { buildOrExit } from './lib/build.js';
import { spawnNode, type BenchChild } from './lib/child-process.js';
import { load1 } from './lib/stats.js';

const say = (s: string) => process.stdout.write(s + '\n');

async function up(args: string[]): Promise<{ child: BenchChild; dir: string; stack: Stack }> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-chaos-'));
  const child = spawnNode(['dist/cli/shoal.js', 'up', '--port', '0', '--admin-port', '0', '--proxy-admin-port', '0', '--interval', '1s', '--data-dir', dir, '--min', '3', '--max', '4', '--target-rps', '500', ...args], { SHOAL_LOG_LEVEL: 'warn' });
  await child.waitForLine(/shoal is up/, 180_000);
  return { child, dir, stack: JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as Stack };
}

async function threeLive(stack: Stack): Promise<void> {
  const redis = connectRedis(stack.redis.url, { name: 'bench-chaos' });
  const fleet = new Fleet(redis, stack.prefix);
  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const now = Date.now();
      const n = await fleet.registry.list().then((l) => l.filter((s) => isLive(s, now)).length, () => 0);
      if (n >= 3) return;
      if (Date.now() > deadline) throw new Error('bench:chaos: 3 live servers never came');
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    redis.disconnect();
  }
}

/** One shipped experiment at its own rate; its journal. */
async function run(name: string, dir: string): Promise<Journal> {
  const journal = join(dir, `${name}.journal.json`);
  const child = spawnNode(['dist/cli/shoal.js', 'chaos', 'run', `experiments/${name}.yaml`, '--data-dir', dir, '--journal', journal], { SHOAL_LOG_LEVEL: 'warn' });
  await child.waitForLine(/^verdict: /m, 300_000);
  await new Promise((r) => child.child.once('exit', r));
  return JSON.parse(readFileSync(journal, 'utf8')) as Journal;
}

/** A figure of the method window, or of the warm-up (marked) when the run stopped there. */
const probe = (j: Journal, p: string) => {
  const after = j.steady_states.after?.probes.find((x) => x.probe === p)?.value;
  if (after) return after;
  const before = j.steady_states.before?.probes.find((x) => x.probe === p)?.value;
  return before ? `${before} (warm-up)` : 'not measured';
};
const verdictLine = (j: Journal) => `${j.passed ? 'PASSED' : 'FAILED'} (${j.status})${j.reasons.length ? ` — ${j.reasons.join('; ')}` : ''}`;

buildOrExit('bench:chaos');
say(`bench:chaos  load average ${load1()} at start`);
const plain = await up(['--enable-faults', '--response-timeout', '3s']);
try {
  await threeLive(plain.stack);
  const kill = await run('kill-server', plain.dir);
  say(`kill-server         1 of 3 killed at ${kill.experiment.load.rate} req/s: success ${probe(kill, 'success-rate')}, p95 ${probe(kill, 'p95')}, ready ${probe(kill, 'ready-servers')} → ${verdictLine(kill)}  (load ${load1()})`);
  await threeLive(plain.stack);
  const flood = await run('no-wait-flood', plain.dir);
  const peak = (flood.load.during as { sockets?: { peak?: number } } | null)?.sockets?.peak ?? 0;
  say(`no-wait-flood       ${flood.experiment.load.rate} sockets/s held ${flood.experiment.load.hold / 1000} s (peak ${peak} open): proxy RSS ${probe(flood, 'proxy-rss')}, another client ${probe(flood, 'http')} → ${verdictLine(flood)}  (load ${load1()})`);
} finally {
  await plain.child.stop(30_000);
  rmSync(plain.dir, { recursive: true, force: true });
}
const ha = await up(['--redis-ha']);
try {
  await threeLive(ha.stack);
  const redis = await run('kill-redis-primary', ha.dir);
  const back = (redis.run[0]?.output as { writesBackAfterMs?: number | null } | undefined)?.writesBackAfterMs;
  say(`kill-redis-primary  primary SIGKILLed at ${redis.experiment.load.rate} req/s: writes back after ${back == null ? 'never (30 s)' : `${(back / 1000).toFixed(2)} s`}, success ${probe(redis, 'success-rate')} → ${verdictLine(redis)}  (load ${load1()})`);
} finally {
  await ha.child.stop(30_000);
  rmSync(ha.dir, { recursive: true, force: true });
}
