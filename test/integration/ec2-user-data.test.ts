import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { renderUserData } from '../../ec2/user-data.js';
import { spawnShoal } from '../helpers/proc.js';

t.setTimeout(300_000);

const BASE = ['ec2', 'user-data', '--region', 'eu-west-1', '--fleet', 'prod', '--release-url', 'https://releases.example.com/shoal-0.1.0.tgz'];

async function run(t: { teardown: (fn: () => unknown) => void }, args: string[]) {
  const p = spawnShoal(t.teardown, args);
  const code = await p.exited();
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}


t.test('the printed user data is a valid shell script with a valid systemd unit', async (t) => {
  const res = await run(t, [...BASE, '--redis-url', 'redis://10.0.1.5:6379', '--prefix', 'prod:']);
  t.equal(res.code, 0);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-ud-'));
  const file = join(dir, 'user-data.sh');
  writeFileSync(file, res.stdout);
  t.match(res.stdout, /^#!\/bin\/sh\n/, 'a script cloud-init runs on first boot');
  for (const shell of ['sh', 'dash', 'bash']) {
    const check = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
    if (check.error) continue;
    t.equal(check.status, 0, `${shell} -n accepts it ${check.stderr}`);
  }
  t.match(res.stdout, /^REDIS_URL='redis:\/\/10\.0\.1\.5:6379'$/m);
  t.match(res.stdout, /^AWS_REGION='eu-west-1'$/m);
  t.match(res.stdout, /^SHOAL_FLEET='prod'$/m);
  t.match(res.stdout, /^SHOAL_PREFIX='prod:'$/m);
  t.match(res.stdout, /systemctl enable --now shoal-app\.service/);
  const unit = /<<'SHOAL_UNIT'\n([\s\S]*?)\nSHOAL_UNIT\n/.exec(res.stdout)?.[1];
  t.ok(unit, 'the script carries a unit');
  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (analyze.status === 0) {
    const unitFile = join(dir, 'shoal-app.service');
    writeFileSync(unitFile, `${unit}\n`);
    const verify = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
    t.equal(verify.status, 0, `systemd-analyze verify: ${verify.stderr}`);
  }
});

t.test('embedded mode: app.env under SHOAL_ROOT (0600), sourced, and the local shoal app exec’d on a free port', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-ud-'));
  const script = join(dir, 'user-data');
  writeFileSync(script, renderUserData({ region: 'us-east-1', fleet: 'f', releaseUrl: 'https://x.example/s.tgz', redisUrl: 'redis://127.0.0.1:6390', dynamodb: 'http://127.0.0.1:8000' }), { mode: 0o700 });
  // Stands in for node: prints what the app would be started with.
  const fakeNode = join(dir, 'node');
  writeFileSync(fakeNode, '#!/bin/sh\necho "args=$*"\nenv | grep -E "^(REDIS_URL|SHOAL_[A-Z_]+|AWS_REGION|DYNAMODB_ENDPOINT)=" | sort\n');
  chmodSync(fakeNode, 0o755);
  const root = join(dir, 'root');
  const out = execFileSync(script, { env: { PATH: process.env.PATH, SHOAL_EMBEDDED: '1', SHOAL_ROOT: root, SHOAL_NODE: fakeNode, SHOAL_CLI: '/opt/shoal/cli.js' }, encoding: 'utf8' });
  t.match(out, /^args=\/opt\/shoal\/cli\.js app$/m, 'execs `shoal app` with no secret on its argv');
  t.match(out, /^REDIS_URL=redis:\/\/127\.0\.0\.1:6390$/m);
  t.match(out, /^SHOAL_PROVIDER=ec2$/m);
  t.match(out, /^SHOAL_PORT=0$/m, 'a free port: instances share one host');
  t.match(out, /^DYNAMODB_ENDPOINT=http:\/\/127\.0\.0\.1:8000$/m);
  const envFile = join(root, 'etc/shoal/app.env');
  t.ok(existsSync(envFile));
  t.equal(statSync(envFile).mode & 0o777, 0o600);
});

t.test('the Redis secret: never printed; written 0600 with --out; or fetched from SSM at boot', async (t) => {
  const secret = 's3cr3t-pass';
  const refused = await run(t, [...BASE, '--redis-url', `redis://:${secret}@redis.internal:6379`]);
  t.equal(refused.code, 2);
  t.equal(refused.stdout, '', 'nothing printed');
  t.notMatch(refused.stderr, secret, 'the password is not in the error');
  t.match(refused.stderr, /--out FILE/);

  const dir = mkdtempSync(join(tmpdir(), 'shoal-ud-'));
  const out = join(dir, 'ud.sh');
  const written = await run(t, [...BASE, '--redis-url', `redis://:${secret}@redis.internal:6379`, '--out', out]);
  t.equal(written.code, 0);
  t.equal(written.stdout + written.stderr, '', 'nothing printed');
  t.equal(statSync(out).mode & 0o777, 0o600, 'written 0600');
  t.match(readFileSync(out, 'utf8'), `REDIS_URL='redis://:${secret}@redis.internal:6379'`);

  const ssm = await run(t, [...BASE, '--redis-url-parameter', '/shoal/prod/redis-url']);
  t.equal(ssm.code, 0);
  t.match(ssm.stdout, /aws ssm get-parameter --region 'eu-west-1' --name '\/shoal\/prod\/redis-url' --with-decryption/);
  t.notMatch(ssm.stdout, /^REDIS_URL='/m, 'no Redis URL in the user data');
});

t.test('bad flags exit 2 with one line naming the flag', async (t) => {
  const cases: [string[], RegExp][] = [
    [['ec2', 'user-data', '--fleet', 'f', '--release-url', 'https://x/y.tgz', '--redis-url', 'redis://h:1'], /--region \(AWS_REGION\)/],
    [[...BASE, '--redis-url', 'http://nope'], /--redis-url \(REDIS_URL\)/],
    [[...BASE], /give exactly one of --redis-url and --redis-url-parameter/],
    [[...BASE, '--redis-url', 'redis://h:1', '--fleet', 'bad name'], /--fleet \(SHOAL_FLEET\)/],
    [[...BASE.slice(0, -1), 'ftp://x', '--redis-url', 'redis://h:1'], /--release-url \(SHOAL_RELEASE_URL\)/],
  ];
  for (const [args, re] of cases) {
    const res = await run(t, args);
    t.equal(res.code, 2, args.join(' '));
    t.match(res.stderr, re);
    t.equal(res.stderr.trim().split('\n').length, 1, 'one line');
  }
});
