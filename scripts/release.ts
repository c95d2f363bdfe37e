// Builds the one release artifact every tier deploys from:
//   npm run release [-- --out DIR] [--version V] [--skip-build]
// → DIR/shoal-<version>-<gitsha>.tgz (+ .sha256 beside it) holding dist/, the runtime files
// dist/ reads (dashboard page, sample CSVs), package.json, the production node_modules copied
// from this checkout as package-lock.json lists them (no registry, no compiler: the one
// native dependency, classic-level, ships prebuilt binaries), a SHA256SUMS of all of it and
// manifest.json (version, sha, Node range, sha256 of SHA256SUMS). The tarball is
// reproducible: sorted, owner 0, mtimes at the commit's time, gzip without a timestamp.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
// Beside dist/: what the compiled code reads at run time, and what an operator reads.
const RUNTIME_FILES = ['dashboard/page.html', 'samples', 'README.md', 'docs'];

interface Args {
  out: string;
  version?: string;
  skipBuild: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { out: join(ROOT, 'dist-release'), skipBuild: false };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--skip-build') a.skipBuild = true;
    else if (v === '--out' && argv[i + 1]) a.out = resolve(argv[++i]!);
    else if (v === '--version' && argv[i + 1] && /^[0-9A-Za-z.+-]+$/.test(argv[i + 1]!)) a.version = argv[++i]!;
    else {
      process.stderr.write(`release: bad argument ${JSON.stringify(v)} (usage: npm run release -- [--out DIR] [--version V] [--skip-build])\n`);
      process.exit(2);
    }
  }
  return a;
}

const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

interface LockPackage {
  dev?: boolean;
  optional?: boolean;
  link?: boolean;
}

/** The lockfile's production packages (`node_modules/...` paths), nested ones included. */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && !p.dev && !p.link)
    .map(([path, p]) => {
      if (!existsSync(join(ROOT, path)) && !p.optional) throw new Error(`${path} is in package-lock.json but not installed: run npm ci first`);
      return path;
    })
    .filter((path) => existsSync(join(ROOT, path)));
}

/** Copies each package without its nested node_modules (those are listed, and copied, on their own). */
function copyPackages(paths: string[], stage: string): void {
  for (const path of paths) {
    const from = join(ROOT, path);
    cpSync(from, join(stage, path), {
      recursive: true,
      filter: (src) => src === from || !relative(from, src).split('/').includes('node_modules'),
    });
  }
}

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const full = join(dir, e.name);
      if (e.isDirectory()) return walk(full, base);
      return e.isFile() ? [relative(base, full)] : [];
    })
    .sort();
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string }; devDependencies?: unknown; scripts?: unknown };
  const version = args.version ?? pkg.version;
  const sha = git('rev-parse', '--short=12', 'HEAD');
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  const commitTime = git('log', '-1', '--format=%ct');
  const name = `shoal-${version}-${sha}`;

  if (!args.skipBuild) execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (!existsSync(join(ROOT, 'dist/cli/shoal.js'))) throw new Error('dist/cli/shoal.js missing: run npm run build');

  const work = mkdtempSync(join(tmpdir(), 'shoal-release-'));
  try {
    const stage = join(work, name);
    mkdirSync(stage);
    cpSync(join(ROOT, 'dist'), join(stage, 'dist'), { recursive: true });
    for (const f of RUNTIME_FILES) if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(stage, f), { recursive: true });
    // The installed package.json: this release's version, no dev tooling, no build scripts.
    const { devDependencies: _dev, scripts: _scripts, ...installed } = { ...pkg, version };
    writeFileSync(join(stage, 'package.json'), JSON.stringify(installed, null, 2) + '\n');
    const packages = productionPackages();
    copyPackages(packages, stage);

    const sums = walk(stage)
      .map((f) => `${sha256(readFileSync(join(stage, f)))}  ${f}\n`)
      .join('');
    writeFileSync(join(stage, 'SHA256SUMS'), sums);
    const manifest = {
      name: 'shoal',
      version,
      sha,
      dirty,
      commitTime: new Date(Number(commitTime) * 1000).toISOString(),
      node: pkg.engines.node,
      packages: packages.length,
      files: sums.split('\n').length - 1,
      // sha256 of SHA256SUMS, which lists every file's sha256: `sha256sum -c SHA256SUMS` checks an unpacked copy.
      payloadSha256: sha256(sums),
    };
    writeFileSync(join(stage, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

    mkdirSync(args.out, { recursive: true });
    const tgz = join(args.out, `${name}.tgz`);
    const tar = join(work, `${name}.tar`);
    execFileSync('tar', ['--sort=name', `--mtime=@${commitTime}`, '--owner=0', '--group=0', '--numeric-owner', '--mode=u+rwX,go+rX,go-w', '-cf', tar, '-C', work, name]);
    execFileSync('sh', ['-c', 'gzip -n -6 -c "$1" > "$2"', 'gzip', tar, tgz]);
    const tgzSha = sha256(readFileSync(tgz));
    writeFileSync(`${tgz}.sha256`, `${tgzSha}  ${name}.tgz\n`);
    const mb = (statSync(tgz).size / 1024 / 1024).toFixed(1);
    process.stdout.write(`${tgz}\n`);
    process.stderr.write(`release: ${name}.tgz ${mb} MiB, ${manifest.files} files, ${packages.length} production packages${dirty ? ' (working tree has uncommitted changes)' : ''}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
