// A Spot interruption under load, the stack as an operator runs it: `shoal up --provider ec2
// --spot` (the embedded EC2 endpoint; every app server a Spot instance), `shoal load` at a
// fixed rate through the proxy, and `shoal ec2 interrupt` on one serving instance partway in.
// Prints when the notice was issued, when the interrupted server left the proxy's pool, when
// its replacement was routed, when the instance was terminated, and shoal load's own report
// (requests sent and failed). The notice is shortened (AWS gives 2 minutes) so that the
// termination falls inside the load.
//   npm run bench:spot [-- --rate 100 --duration 75s --notice 45s --at 10]
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { Summary } from '../load/summary.js';
import { buildOrExit } from './lib/build.js';
import { ROOT, spawnNode } from './lib/child-process.js';
import { load1, positiveInt } from './lib/stats.js';

const { values: args } = parseArgs({ options: { rate: { type: 'string', default: '100' }, duration: { type: 'string', default: '75s' }, notice: { type: 'string', default: '45s' }, at: { type: 'string', default: '10' } } });
const bad = (msg: string): never => {
  process.stderr.write(`bench:spot: ${msg}\n`);
  process.exit(2);
};
const RATE = positiveInt('rate', args.rate, bad);
const AT_S = positiveInt('at', args.at, bad);
const say = (s: string) => process.stdout.write(s + '\n');
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const SHOAL = join(ROOT, 'dist/cli/shoal.js');

interface Member {
  id: string;
  state: string;
  up: boolean;
}

buildOrExit('bench:spot');
const dir = mkdtempSync('/tmp/shoal-bench-spot-');
const up = spawnNode([SHOAL, 'up', '--provider', 'ec2', '--spot', '--spot-max-share', '1', '--min', '2', '--max', '4', '--interval', '1s', '--port', '0', '--admin-port', '0', '--proxy-admin-port', '0', '--data-dir', dir], { SHOAL_LOG_LEVEL: 'warn' });
try {
  await up.waitForLine(/shoal is up/, 240_000);
  const stack = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as { proxy: { url: string; adminUrl: string }; ec2: { endpoint: string } };
  const pool = async (): Promise<Member[]> => ((await (await fetch(`${stack.proxy.adminUrl}/pool`)).json()) as { members: Member[] }).members;
  const routed = (m: Member) => m.state === 'ready' && m.up;

  const tests = join(dir, 'spot-tests.json');
  const report = join(dir, 'spot-summary.json');
  writeFileSync(tests, JSON.stringify({ version: 1, target: stack.proxy.url, seed: 1, templates: [{ id: 'songs', method: 'GET', path: '/api/v1/music?limit=5' }], chains: [] }));
  const load = spawnNode([SHOAL, 'load', '--tests', tests, '--target', stack.proxy.url, '--rate', String(RATE), '--duration', args.duration, '--json', report], { SHOAL_LOG_LEVEL: 'warn' });
  let loadOut = '';
  load.child.stdout!.on('data', (b: Buffer) => (loadOut += b.toString()));
  const loadDone = once(load.child, 'exit');
  const started = Date.now();

  await sleep(AT_S * 1000);
  const before = (await pool()).filter(routed);
  const victim = before[0];
  if (!victim) throw new Error('no routed server to interrupt');
  const noticeAt = Date.now();
  const { stdout } = await promisify(execFile)(process.execPath, [SHOAL, 'ec2', 'interrupt', victim.id, '--endpoint', stack.ec2.endpoint, '--notice', args.notice]);
  process.stderr.write(stdout);
  let leftAt = 0;
  let routedAt = 0;
  let terminatedAt = 0;
  let replacement = '';
  const state = async () => ((await (await fetch(`${stack.ec2.endpoint}/admin/instances`)).json()) as { instanceId: string; state: string }[]).find((i) => i.instanceId === victim.id)?.state;
  while (!(leftAt && routedAt && terminatedAt) && Date.now() - noticeAt < 180_000) {
    const members = await pool();
    const now = Date.now();
    if (!terminatedAt && (await state()) !== 'running') terminatedAt = now;
    if (!leftAt && !members.some((m) => m.id === victim.id && routed(m))) leftAt = now;
    const fresh = members.find((m) => routed(m) && !before.some((b) => b.id === m.id));
    if (!routedAt && fresh) [routedAt, replacement] = [now, fresh.id];
    await sleep(50);
  }
  await loadDone;
  const s = JSON.parse(readFileSync(report, 'utf8')) as Summary;
  const at = (t: number) => (t ? `${((t - noticeAt) / 1000).toFixed(1)} s after the notice` : 'not within 180 s');
  say(`bench:spot: shoal up --provider ec2 --spot (min 2), shoal load ${RATE} req/s for ${args.duration} (GET /api/v1/music), shoal ec2 interrupt --notice ${args.notice} at ${((noticeAt - started) / 1000).toFixed(1)} s; load average ${load1()}`);
  say(`notice                 ${new Date(noticeAt).toISOString()} to ${victim.id}`);
  say(`left the pool          ${at(leftAt)} (the app drained itself on the notice)`);
  say(`replacement routed     ${at(routedAt)}${replacement ? ` (${replacement})` : ''}`);
  say(`instance terminated    ${at(terminatedAt)} (shutting-down; the notice said ${args.notice})`);
  say(`requests               ${s.requests.total} sent, ${s.requests.errors} failed, ${s.requests.missed} missed`);
  say('');
  say("shoal load's report:");
  say(loadOut.trimEnd());
} finally {
  await up.stop(60_000);
  rmSync(dir, { recursive: true, force: true });
}
