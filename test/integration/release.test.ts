import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/proc.js';

t.setTimeout(300_000); // copies and compresses ~15k files; slow on a busy machine

t.test('npm run release: one tarball that runs from where it is unpacked, with no registry and no dev tooling', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-release-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // dist/ is built by npm test before tap runs
  const built = spawnSync('npm', ['run', '--silent', 'release', '--', '--skip-build', '--out', join(dir, 'out'), '--version', '0.1.0-test.1'], { cwd: ROOT, encoding: 'utf8' });
  t.equal(built.status, 0, built.stderr);
  const tgz = built.stdout.trim();
  const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  t.equal(basename(tgz), `shoal-0.1.0-test.1-${sha}.tgz`);
  t.match(built.stderr, /release: shoal-0\.1\.0-test\.1-\w+\.tgz [\d.]+ MiB, \d+ files, \d+ production packages/);
  const digest = createHash('sha256').update(readFileSync(tgz)).digest('hex');
  t.equal(readFileSync(`${tgz}.sha256`, 'utf8'), `${digest}  ${basename(tgz)}\n`, 'the .sha256 beside it matches');

  execFileSync('tar', ['-xzf', tgz, '-C', dir]);
  const home = join(dir, `shoal-0.1.0-test.1-${sha}`);
  const manifest = JSON.parse(readFileSync(join(home, 'manifest.json'), 'utf8'));
  t.match(manifest, { name: 'shoal', version: '0.1.0-test.1', sha, node: '>=20', payloadSha256: /^[0-9a-f]{64}$/ });
  t.equal(createHash('sha256').update(readFileSync(join(home, 'SHA256SUMS'))).digest('hex'), manifest.payloadSha256, 'manifest names the SHA256SUMS it ships');
  const check = spawnSync('sha256sum', ['--check', '--quiet', 'SHA256SUMS'], { cwd: home, encoding: 'utf8' });
  t.equal(check.status, 0, `every file matches SHA256SUMS ${check.stdout}${check.stderr}`);

  for (const p of ['dist/cli/shoal.js', 'dashboard/page.html', 'samples/music.csv', 'node_modules/koa/package.json', 'node_modules/ioredis/package.json', 'node_modules/@aws-sdk/client-dynamodb/package.json']) {
    t.ok(existsSync(join(home, p)), `${p} is in the artifact`);
  }
  for (const p of ['node_modules/typescript', 'node_modules/tap', 'node_modules/eslint', 'node_modules/tsx', 'test', 'playbooks']) {
    t.notOk(existsSync(join(home, p)), `${p} is not`);
  }
  const pkg = JSON.parse(readFileSync(join(home, 'package.json'), 'utf8'));
  t.equal(pkg.version, '0.1.0-test.1');
  t.notOk(pkg.devDependencies ?? pkg.scripts, 'no dev dependencies or build scripts in the installed package.json');

  // Run from the unpacked copy, from elsewhere, with nothing of this checkout on the module path.
  const env = { PATH: process.env.PATH, HOME: dir };
  const run = (...args: string[]) => spawnSync(process.execPath, [join(home, 'dist/cli/shoal.js'), ...args], { cwd: dir, env, encoding: 'utf8' });
  const version = run('--version');
  t.equal(version.status, 0, version.stderr);
  t.equal(version.stdout, `0.1.0-test.1 (${sha})\n`);
  const help = run('app', '--help');
  t.equal(help.status, 0, help.stderr);
  t.match(help.stdout, /^Usage: shoal app \[options\]/);
  const drain = run('drain', '--help');
  t.equal(drain.status, 0);
  t.match(drain.stdout, /--timeout <duration>/);
});
