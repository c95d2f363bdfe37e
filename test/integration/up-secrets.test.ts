import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startRedisServer } from '../../lib/redis-server.js';
import { pidAlive, spawnShoal } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

t.setTimeout(300_000);

const SECRET = 'hunter2-s3cret';

/** Every process below `root`, read from /proc (ppid links). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // pid (comm) state ppid …; comm may hold spaces, so split after the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

t.test('a Redis password is in no output line, no child command line and no file others can read', async (t) => {
  const redis = await startRedisServer({ password: SECRET });
  t.teardown(() => redis.stop());
  t.ok(redis.url.includes(SECRET), 'the URL shoal up gets holds the password');
  const dataDir = mkdtempSync(join(tmpdir(), 'shoal-secrets-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));

  const up = spawnShoal(t.teardown, ['up', '--redis', redis.url, '--port', '0', '--admin-port', '0', '--proxy-admin-port', '0', '--min', '1', '--interval', '1s', '--data-dir', dataDir], {
    detached: true,
  });
  await up.waitForOutput(/shoal is up/, 240_000);
  t.match(up.stdout(), /redis {7}ready {2}redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/, 'the start-up line shows the URL masked');

  // The whole tree: proxy, autoscaler, dynamodb, reaper, and the app servers the autoscaler started.
  const tree = descendants(up.pid);
  const lines = tree.map((p) => `${p}: ${cmdline(p)}`);
  t.ok(lines.some((l) => / app /.test(l)), `an app server is in the tree:\n${lines.join('\n')}`);
  t.ok(lines.some((l) => / proxy /.test(l)) && lines.some((l) => / autoscaler /.test(l)), 'proxy and autoscaler are in the tree');
  for (const l of lines) t.notOk(l.includes(SECRET), `not on a command line: ${l.replace(SECRET, '<SECRET>')}`);

  const status = spawnShoal(t.teardown, ['status', '--data-dir', dataDir]);
  t.equal(await status.exited(), 0);
  t.match(status.stdout(), /ready/);
  t.notOk((status.stdout() + status.stderr()).includes(SECRET), 'shoal status prints no password');

  const stack = join(dataDir, 'stack.json');
  t.equal(statSync(stack).mode & 0o777, 0o600, 'stack.json is 0600');
  for (const f of files(dataDir)) {
    if ((statSync(f).mode & 0o004) === 0) continue;
    t.notOk(readFileSync(f).includes(SECRET), `${f} is readable by others and holds no password`);
  }

  process.kill(up.pid, 'SIGTERM');
  t.equal(await up.exited(), 0);
  await waitFor(() => tree.every((p) => !pidAlive(p)), { timeoutMs: 30_000, what: 'every child gone' });
  for (const line of (up.stdout() + up.stderr()).split('\n')) t.notOk(line.includes(SECRET), `no output line holds it: ${line.replace(SECRET, '<SECRET>')}`);
});

t.test('a config or connection error shows the URL masked', async (t) => {
  const bad = spawnShoal(t.teardown, ['up', '--redis', `redis://:${SECRET}@127.0.0.1:99999`, '--data-dir', join(tmpdir(), 'shoal-secrets-none')]);
  t.equal(await bad.exited(), 2);
  t.match(bad.stderr(), /^shoal: invalid --redis \(REDIS_URL\): .*redis:\/\/:\*\*\*@127\.0\.0\.1:99999/);
  t.notOk(bad.stderr().includes(SECRET));

  const unreachable = spawnShoal(t.teardown, ['status', '--redis', `redis://:${SECRET}@127.0.0.1:1`]);
  t.not(await unreachable.exited(), 0);
  t.match(unreachable.stderr(), /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
  t.notOk(unreachable.stderr().includes(SECRET));
});
