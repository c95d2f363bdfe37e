import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/proc.js';

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(join(ROOT, 'scripts/pipeline'), args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });

const BUILD = [
  'install    npm ci --no-audit --no-fund',
  'lint       npm run lint:code',
  'typecheck  npm run typecheck',
  'test       npm run test:ci',
  'package    npm run release',
];

t.test('--dry-run prints the plan: the branch picks the tier, other branches stop after package', async (t) => {
  for (const [branch, tier] of [
    ['master', 'app'],
    ['redis', 'redis'],
    ['proxy', 'proxy'],
    ['autoscaler', 'autoscaler'],
  ] as const) {
    const r = run([branch, '--dry-run']);
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, [`pipeline: branch ${branch} → ${tier}`, ...BUILD, `deploy     scripts/deploy ${tier}`, ''].join('\n'), `${branch} deploys ${tier}`);
  }
  const feature = run(['feature/faster-proxy', '--dry-run']);
  t.equal(feature.status, 0);
  t.equal(
    feature.stdout,
    ['pipeline: branch feature/faster-proxy → no deploy (only master, redis, proxy and autoscaler deploy)', ...BUILD, 'deploy     (skipped: branch feature/faster-proxy deploys nothing)', ''].join('\n'),
  );
  const one = run(['proxy', '--dry-run', '--stage', 'deploy']);
  t.equal(one.stdout, 'pipeline: branch proxy → proxy\ndeploy     scripts/deploy proxy\n');
  const bad = run(['master', '--stage', 'ship']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /unknown stage ship/);
});

t.test('the Jenkinsfile runs the same stages, each through scripts/pipeline', async (t) => {
  const jenkinsfile = readFileSync(join(ROOT, 'Jenkinsfile'), 'utf8');
  const stages = [...jenkinsfile.matchAll(/stage\('(\w+)'\)/g)].map((m) => m[1]);
  t.same(stages, ['install', 'lint', 'typecheck', 'test', 'package', 'deploy']);
  for (const s of stages) t.match(jenkinsfile, `sh 'scripts/pipeline "$BRANCH_NAME" --stage ${s}'`);
  t.match(jenkinsfile, /anyOf \{ branch 'master'; branch 'redis'; branch 'proxy'; branch 'autoscaler' \}/);
  t.match(jenkinsfile, /junit .*test-artifacts\/junit\.xml/);
});

t.test('the deploy stage runs the branch tier\'s playbook with the artifact, no secret on argv', async (t) => {
  // A recording ansible-playbook first on PATH: this test is about which playbook runs.
  const dir = mkdtempSync(join(tmpdir(), 'shoal-pipeline-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'calls');
  writeFileSync(join(dir, 'ansible-playbook'), `#!/bin/sh\necho "$PWD $*" >> ${log}\n`);
  chmodSync(join(dir, 'ansible-playbook'), 0o755);
  const inventory = join(dir, 'hosts.yml');
  writeFileSync(inventory, 'all: {}\n');
  const artifact = join(dir, 'shoal-9.9.9-abc.tgz');
  writeFileSync(artifact, '');
  const env = { PATH: `${dir}:${process.env.PATH}`, SHOAL_INVENTORY: inventory, SHOAL_ARTIFACT: artifact, SHOAL_REDIS_PASSWORD: 's3cret' };
  for (const [branch, playbook] of [
    ['master', 'app.yml'],
    ['redis', 'redis.yml'],
    ['proxy', 'proxy.yml'],
    ['autoscaler', 'autoscaler.yml'],
  ]) {
    writeFileSync(log, '');
    const r = run([branch!, '--stage', 'deploy'], env);
    t.equal(r.status, 0, r.stderr);
    t.equal(readFileSync(log, 'utf8'), `${join(ROOT, 'playbooks')} -i ${inventory} ${playbook} -e shoal_artifact=${artifact}\n`, `${branch} → ${playbook}`);
    t.notMatch(r.stdout + readFileSync(log, 'utf8'), /s3cret/);
  }
  const none = spawnSync(join(ROOT, 'scripts/deploy'), ['app', artifact], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH: env.PATH, SHOAL_INVENTORY: '' } });
  t.equal(none.status, 2);
  t.match(none.stderr, /set SHOAL_INVENTORY/);
});
