// npm run bench:similar — how `shoal ingest similar` and `shoal ingest midi` scale.
//   1. the ranking core at 25k, 50k and 100k synthetic songs: pairs scored, CPU, peak RSS;
//   2. the whole `shoal ingest similar` command against dynalite at the same sizes: wall
//      time and peak RSS of the command's process;
//   3. `shoal ingest midi` over generated MIDI files: files/s by worker count.
// Flags: --sizes 25000,50000,100000  --e2e-sizes 25000,50000,100000  --midi-files 1000
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from '../app/store/batch-write.js';
import { createTables, tableNames } from '../app/store/tables.js';
import { midiBytes } from '../test/helpers/midi.js';
import { GM_PROGRAMS } from '../ingest/midi/gm-instruments.js';
import { buildOrExit } from './lib/build.js';
import { ROOT, spawnNode } from './lib/child-process.js';
import { startDynaliteProcess } from './lib/dynalite-process.js';
import { syntheticSongs } from './lib/synthetic-songs.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const sizes = arg('sizes', '25000,50000,100000').split(',').map(Number);
const e2eSizes = arg('e2e-sizes', '25000,50000,100000').split(',').filter(Boolean).map(Number);
const midiFiles = Number(arg('midi-files', '1000'));
const SHOAL = join(ROOT, 'dist/cli/shoal.js');
// The SDK's Node 22 notice would land in the middle of the tables.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function say(line: string) {
  process.stdout.write(`${line}\n`);
}

buildOrExit('bench:similar');

say(`## 1. ranking core (synthetic songs, 2–8 of 129 GM sounds, Zipf 1.1; k = 20)\n`);
say('| songs | pairs scored | pairs / n² | CPU s | ns / pair | peak RSS MB |');
say('|---:|---:|---:|---:|---:|---:|');
for (const n of sizes) {
  const c = spawnNode(['--import', 'tsx', 'bench/lib/similar-core.ts', String(n)]);
  const m = await c.waitForLine(/^\{.*\}$/m, 3_600_000);
  const r = JSON.parse(m[0]) as { songs: number; pairs: number; cpu: number; peakMB: number };
  say(`| ${r.songs} | ${r.pairs} | ${(r.pairs / (n * n)).toFixed(3)} | ${r.cpu.toFixed(1)} | ${((r.cpu * 1e9) / r.pairs).toFixed(0)} | ${r.peakMB.toFixed(0)} |`);
}

/** Runs `shoal ...args`, sampling the peak RSS (VmHWM) until it exits. */
async function timedShoal(args: string[]): Promise<{ out: string; seconds: number; peakMB: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [SHOAL, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AWS_REGION: 'us-east-1' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  let peakKB = 0;
  const sample = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKB = Math.max(peakKB, Number(m[1]));
    } catch {
      // exited between samples
    }
  }, 50);
  const code = await new Promise<number | null>((ok) => child.on('exit', ok));
  clearInterval(sample);
  if (code !== 0 && !/skipped as corrupt/.test(out)) throw new Error(`shoal ${args.join(' ')} exited ${code}: ${out}${err}`);
  return { out, seconds: (performance.now() - started) / 1000, peakMB: peakKB / 1024 };
}

const dynalite = await startDynaliteProcess();
const client = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
const doc = DynamoDBDocumentClient.from(client);
try {
  if (e2eSizes.length) {
    say(`\n## 2. shoal ingest similar --full against dynalite (own process)\n`);
    say('| songs | wall s | peak RSS MB | its summary |');
    say('|---:|---:|---:|---|');
  }
  for (const n of e2eSizes) {
    const prefix = `bench${n}-`;
    const names = tableNames(prefix);
    await createTables(client, names, dynalite.endpoint);
    const now = new Date().toISOString();
    await batchWrite(doc, names.music, syntheticSongs(n).map((s, i) => ({ ...s, artist: `Artist ${i % 500}`, title: `Song ${i}`, createdAt: now })), dynalite.endpoint);
    const r = await timedShoal(['ingest', 'similar', '--full', '--dynamodb', dynalite.endpoint, '--table-prefix', prefix]);
    say(`| ${n} | ${r.seconds.toFixed(1)} | ${r.peakMB.toFixed(0)} | ${r.out.trim()} |`);
  }

  say(`\n## 3. shoal ingest midi: ${midiFiles} generated files\n`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-midi-'));
  try {
    syntheticSongs(midiFiles, 99).forEach((s, i) => {
      const programs = s.instruments.map((name) => GM_PROGRAMS.indexOf(name));
      const parts = programs.map((p, ch) => (p < 0 ? { channel: 9 } : { channel: ch >= 9 ? ch + 1 : ch, program: p }));
      writeFileSync(join(dir, `Artist ${i % 50} - Song ${i}.mid`), midiBytes(parts));
    });
    say('| workers | files | wall s | files/s |');
    say('|---:|---:|---:|---:|');
    for (const workers of [0, 1, 2]) {
      const prefix = `midi${workers}-`;
      await createTables(client, tableNames(prefix), dynalite.endpoint);
      const r = await timedShoal(['ingest', 'midi', dir, '--concurrency', String(workers), '--dynamodb', dynalite.endpoint, '--table-prefix', prefix]);
      const m = /(\d+) ingested/.exec(r.out);
      const files = Number(m?.[1] ?? 0);
      say(`| ${workers === 0 ? '0 (main thread)' : workers} | ${files} | ${r.seconds.toFixed(1)} | ${(files / r.seconds).toFixed(0)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  client.destroy();
  await dynalite.stop();
}
