import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { connectRedis } from '../../fleet/index.js';
import { freePort } from '../../lib/free-port.js';
import { ROOT } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

// redis.yml applied for real to a temp root with the plain supervisor: Debian's redis-server
// binary, the role's config (password, AOF) and unit, run by pid file.
const ansible = spawnSync('ansible-playbook', ['--version']);
if (ansible.error || ansible.status !== 0) {
  t.plan(0, 'ansible-playbook is not installed (.ci/run installs Debian ansible-core)');
  process.exit(0);
}
t.setTimeout(600_000);

const dir = mkdtempSync(join(tmpdir(), 'shoal-redis-role-'));
const root = join(dir, 'root');
const unit = join(root, 'etc/systemd/system/shoal-redis.service');
t.teardown(() => {
  spawnSync(join(ROOT, 'playbooks/roles/service/files/shoal-supervise'), ['stop', unit, join(root, 'run/shoal')]);
  rmSync(dir, { recursive: true, force: true });
});

const port = await freePort();
const password = `pw-${process.pid}-${Date.now()}`;
writeFileSync(
  join(dir, 'hosts.yml'),
  JSON.stringify({
    all: {
      vars: { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3', shoal_become: false, shoal_service_manager: 'supervisor', shoal_redis_install: false },
      children: { redis: { hosts: { 'redis-1': { shoal_root: root, shoal_redis_port: port, shoal_redis_password: password } } } },
    },
  }),
);

async function apply(): Promise<{ status: number | null; out: string }> {
  const child = spawn('ansible-playbook', ['-i', join(dir, 'hosts.yml'), 'redis.yml'], {
    cwd: join(ROOT, 'playbooks'),
    env: { ...process.env, ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'), ANSIBLE_NOCOLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const [status] = (await once(child, 'exit')) as [number | null];
  return { status, out };
}

t.test('redis.yml: Redis with a password and AOF, config 0600, the password never printed; a second apply changes nothing', async (t) => {
  const first = await apply();
  t.equal(first.status, 0, first.out.slice(-3000));
  t.notMatch(first.out, password, 'the password is not in the output');
  const conf = join(root, 'etc/redis/shoal.conf');
  t.equal(statSync(conf).mode & 0o777, 0o600);
  t.match(readFileSync(conf, 'utf8'), /^appendonly yes$/m);

  const authed = connectRedis(`redis://:${password}@127.0.0.1:${port}`, { name: 'test' });
  t.teardown(() => authed.disconnect());
  await waitFor(async () => (await authed.ping()) === 'PONG', { timeoutMs: 30_000, what: 'Redis answering with the password' });
  t.same(await authed.config('GET', 'appendonly'), ['appendonly', 'yes']);
  const anon = connectRedis(`redis://127.0.0.1:${port}`, { name: 'test' });
  t.teardown(() => anon.disconnect());
  await t.rejects(anon.ping(), /NOAUTH/, 'no password, no access');

  const second = await apply();
  t.equal(second.status, 0);
  t.match(second.out, /redis-1\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=0/, 'second apply: changed=0');
});
