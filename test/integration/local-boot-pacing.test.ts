import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { getPriority } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LocalProvider } from '../../autoscaler/providers/local.js';
import { createLogger } from '../../lib/log.js';
import { testRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

// What a user of `shoal up` on a laptop relies on: a server still booting runs at a lower
// CPU priority than those serving, and a burst of launches boots a few at a time.
t.test('local servers boot niced and a few at a time; ready restores the priority and starts the next', async (t) => {
  const r = await testRedis(t.teardown);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-pacing-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // a stand-in app server: stays up, and the test moves its entry to ready itself
  const provider = new LocalProvider({
    fleet: r.fleet,
    redisUrl: r.url,
    prefix: r.prefix,
    command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
    killTimeoutMs: 5000,
    stateDir: join(dir, 'servers'),
    logDir: join(dir, 'logs'),
    zones: ['local-a'],
    maxBoots: 1,
    bootNice: 10,
    log: createLogger('test', 'silent'),
  });
  const ids = await provider.launch(3, []);
  t.teardown(async () => {
    await provider.terminate(ids.map((id) => ({ id, instanceId: '' })));
    await provider.close();
  });
  const pid = async (id: string) => Number((await r.fleet.registry.get(id))!.instanceId);
  const pids = await Promise.all(ids.map(pid));
  // the gate is the shell waiting on stdin; an opened gate execs node under the same pid
  const started = (p: number) => readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(process.execPath);

  await waitFor(() => started(pids[0]!), { what: 'the first server to start' });
  t.same(pids.map(getPriority), [10, 10, 10], 'every launched server is niced until ready');
  t.same(pids.map(started), [true, false, false], 'one boot at a time (maxBoots 1): the others wait at their gate');

  await r.fleet.registry.ready(ids[0]!, { address: '127.0.0.1:1' });
  await waitFor(() => started(pids[1]!), { what: 'the second server to start once the first is ready' });
  t.equal(getPriority(pids[0]!), 0, 'ready: back to normal priority');
  t.same(pids.map(started), [true, true, false], 'the third still waits');

  // a server that exits while booting gives its place to the next
  process.kill(pids[1]!, 'SIGKILL');
  await waitFor(() => started(pids[2]!), { what: 'the third server to start once the second is gone' });
  t.equal(getPriority(pids[2]!), 10);
});
