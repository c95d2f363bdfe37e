import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../helpers/browser.js';
import t, { type Test } from 'tap';
import { connectRedis, Fleet } from '../../fleet/index.js';
import type { Stack } from '../../cli/stack/stack-file.js';
import { pidAlive, ROOT, spawnShoal, type Proc } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(300_000);

const dataDir = mkdtempSync(join(tmpdir(), 'shoal-up-'));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));

const ARGS = ['up', '--port', '0', '--admin-port', '0', '--proxy-admin-port', '0', '--min', '2', '--max', '3', '--interval', '1s', '--data-dir', dataDir];

async function up(t: Test): Promise<{ proc: Proc; stack: Stack; pids: number[] }> {
  const proc = spawnShoal(t.teardown, ARGS, { detached: true });
  await proc.waitForOutput(/shoal is up/, 120_000);
  const stack = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')) as Stack;
  const redis = connectRedis(stack.redis.url);
  const servers = await new Fleet(redis, stack.prefix).registry.list();
  redis.disconnect();
  const appPids = servers.filter((s) => s.state === 'ready').map((s) => Number(s.instanceId));
  const pids = [stack.redis.pid, stack.dynamodb.pid, stack.proxy?.pid, stack.autoscaler?.pid, ...appPids].filter((p): p is number => !!p);
  return { proc, stack, pids };
}

async function allGone(pids: number[], what: string): Promise<void> {
  await waitFor(() => pids.every((p) => !pidAlive(p)), { timeoutMs: 20_000, what: `${what}: pids ${pids.filter(pidAlive).join(',')} to exit` });
}

let songId = '';

t.test('shoal up serves the API through the proxy, status shows min servers ready, Ctrl-C leaves nothing', async (t) => {
  const { proc, stack, pids } = await up(t);
  t.equal(pids.length, 6, 'redis, dynamodb, proxy, autoscaler and 2 app servers');
  const list = await fetch(`${stack.proxy!.url}/api/v1/music?limit=5`);
  t.equal(list.status, 200);
  const body = (await list.json()) as { items: unknown[] };
  t.equal(body.items.length, 5, 'the sample songs were loaded');
  const created = await fetch(`${stack.proxy!.url}/api/v1/music`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ artist: 'Nina Simone', title: 'Sinnerman' }),
  });
  t.equal(created.status, 201);
  songId = ((await created.json()) as { id: string }).id;

  const status = spawnShoal(t.teardown, ['status', '--json', '--data-dir', dataDir]);
  t.equal(await status.exited(), 0);
  const view = JSON.parse(status.stdout()) as { min: number; actual: number; servers: { state: string }[] };
  t.equal(view.min, 2);
  t.equal(view.servers.filter((s) => s.state === 'ready').length, 2, 'min servers ready');

  await dashboard(t, stack.dashboard!, 2);

  process.kill(-proc.pid, 'SIGINT'); // what a terminal's Ctrl-C sends: the whole foreground group
  t.equal(await proc.exited(), 0);
  await allGone(pids, 'after SIGINT');
  t.notOk(existsSync(join(dataDir, 'stack.json')), 'stack.json removed');
});

t.test('a second shoal up on the same data dir finds its songs again; SIGTERM to it alone leaves nothing', async (t) => {
  const { proc, stack, pids } = await up(t);
  const res = await fetch(`${stack.proxy!.url}/api/v1/music/${songId}`);
  t.equal(res.status, 200);
  t.match(await res.json(), { id: songId, title: 'Sinnerman' });
  process.kill(proc.pid, 'SIGTERM');
  t.equal(await proc.exited(), 0);
  await allGone(pids, 'after SIGTERM');
});

t.test('SIGKILL of the supervisor: its children notice and exit', async (t) => {
  const { proc, pids } = await up(t);
  process.kill(proc.pid, 'SIGKILL');
  await proc.exited();
  await allGone(pids, 'after SIGKILL of the supervisor');
  t.pass('no process left behind');
});

/** The dashboard in headless Chromium: page loads, lists the ready servers, the chart gets ≥ 2 updates. */
async function dashboard(t: Test, url: string, ready: number): Promise<void> {
  const browser = await launchChromium(t.teardown);
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction((n) => document.querySelectorAll('#servers tbody tr[data-state="ready"]').length === n, ready, { timeout: 20_000 });
  await page.waitForFunction(() => Number(document.body.dataset.updates ?? 0) >= 2, undefined, { timeout: 20_000 });
  t.equal(await page.locator('#servers tbody tr[data-state="ready"]').count(), ready, 'server table lists the ready servers');
  t.match(await page.locator('#conn').textContent(), /live/);
  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'test-artifacts', 'dashboard.png'), fullPage: true });
  await browser.close();
}
