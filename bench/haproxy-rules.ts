// bench/haproxy-rules: what each part of the configuration `shoal proxy --data-plane haproxy`
// writes costs HAProxy per request, beside bench:proxy's bare HAProxy. Counted in instructions
// by valgrind's callgrind, not timed: the same count on every run whatever else the machine
// does, so a few hundred instructions show where wall-clock runs (±10 % on a shared 2-core
// machine) cannot. Each variant runs HAProxy under callgrind in front of the bench backend,
// warms up, zeroes the counters, and sends --requests GETs of /hello over 16 keep-alive
// connections, once without an X-Request-Id (as wrk sends) and once with a valid one.
//   npm run bench:haproxy-rules -- [--requests 4000]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { freePort } from '../lib/free-port.js';
import { defaultProxyConfig, type ProxyConfig } from '../proxy/config.js';
import { checkArgs, ERROR_PAGES, errorPage, FULL_WEIGHT, renderConfig, serverArgs } from '../proxy/haproxy/config.js';
import { findBinary } from '../proxy/haproxy/binary.js';
import { spawnNode } from './lib/child-process.js';
import { bareHaproxyConfig, ensure } from './lib/proxy-targets.js';
import { positiveInt } from './lib/stats.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '4000' } } });
const bad = (msg: string): never => {
  console.error(`bench:haproxy-rules: ${msg}`);
  process.exit(2);
};
const REQUESTS = positiveInt('requests', values.requests!, bad);
const WARMUP = 500;
const CONNECTIONS = 16;
const say = (s: string) => process.stderr.write(`${s}\n`);

/** A variant of shoal's config: other flags, or lines dropped. */
interface Variant {
  name: string;
  drop?: RegExp;
  /** Flags other than the defaults. */
  limits?: Partial<ProxyConfig['limits']>;
}
const VARIANTS: Variant[] = [
  { name: 'shoal' },
  { name: 'shoal without the X-Request-Id rules', drop: /x-request-id|txn\.rid/ },
  { name: 'shoal without X-Forwarded-Proto/Host', drop: /x-forwarded-(proto|host)/ },
  { name: 'shoal without the internal-path 404', drop: /return status/ },
  { name: 'shoal --retry-sent off', limits: { retrySent: false } },
  { name: 'shoal without frontend rules', drop: /^ {2}http-(request|response) (?!disable-l7-retry)/ },
];

/** The file HAProxy runs: shoal's rendered config with the server `add server` would add, made static. */
function render(cfg: ProxyConfig, dir: string, backend: string, v: Variant): string {
  cfg = { ...cfg, limits: { ...cfg.limits, ...v.limits } };
  const text = renderConfig(cfg, { socket: join(dir, 'admin.sock'), errors: join(dir, 'errors'), fdLimit: 19_000 });
  const lines = text.split('\n').filter((l) => !(v.drop && v.drop.test(l)));
  if (v.drop && lines.length === text.split('\n').length) throw new Error(`${v.name}: nothing in the config matches ${v.drop}`);
  // the backend section is last: its server goes at the end
  return `${lines.join('\n').trimEnd()}\n  server b1 ${backend} ${serverArgs(cfg)} ${checkArgs(cfg)} weight ${FULL_WEIGHT}\n`;
}

/** HAProxy's instructions per request under callgrind with `conf`, for each way of sending. */
async function count(haproxy: string, conf: string, port: number, dir: string): Promise<{ noId: number; withId: number }> {
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, conf);
  const out = join(dir, 'cg');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const p = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}/callgrind.out`, haproxy, '-f', file, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
  const agent = new Agent({ connections: CONNECTIONS });
  const url = `http://127.0.0.1:${port}/hello`;
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (p.exitCode !== null) throw new Error(`haproxy exited: ${err}`);
      const up = await request(url, { dispatcher: agent }).then(async (r) => (await r.body.text(), true), () => false);
      if (up) break;
      if (Date.now() > deadline) throw new Error(`haproxy under callgrind did not answer within 60 s: ${err}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const send = async (n: number, headers: Record<string, string>) => {
      let left = n;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (left-- > 0) {
            const r = await request(url, { dispatcher: agent, headers });
            await r.body.text();
            if (r.statusCode !== 200) throw new Error(`GET /hello through haproxy: ${r.statusCode}`);
          }
        }),
      );
    };
    const measure = async (headers: Record<string, string>) => {
      await send(WARMUP, headers);
      execFileSync('callgrind_control', ['-z', String(p.pid)], { stdio: 'ignore' });
      await send(REQUESTS, headers);
      execFileSync('callgrind_control', ['-d', String(p.pid)], { stdio: 'ignore' });
      const dumps = readdirSync(out).map((f) => readFileSync(join(out, f), 'utf8'));
      const totals = dumps.map((d) => Number(/^totals: (\d+)/m.exec(d)?.[1] ?? /^summary: (\d+)/m.exec(d)?.[1] ?? 0));
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out);
      const ir = Math.max(0, ...totals);
      if (!ir) throw new Error('callgrind wrote no totals');
      return ir / REQUESTS;
    };
    const noId = await measure({});
    const withId = await measure({ 'x-request-id': 'order-5f1c2a-retry-1' });
    return { noId, withId };
  } finally {
    await agent.close();
    if (p.exitCode === null) {
      p.kill('SIGKILL');
      await once(p, 'exit');
    }
  }
}

async function main(): Promise<void> {
  if (!ensure('haproxy', 'haproxy')) bad('haproxy is not installed and could not be');
  if (spawnSync('valgrind', ['--version']).status !== 0) bad('valgrind not found: apt-get install valgrind');
  const haproxy = findBinary('haproxy')!;
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-haproxy-rules-'));
  mkdirSync(join(dir, 'errors'));
  for (const s of Object.keys(ERROR_PAGES)) writeFileSync(join(dir, 'errors', `${s}.http`), errorPage(Number(s)));
  const backend = spawnNode(['test/fixtures/backend.mjs', '--id', 'rules', '--port', '0']);
  try {
    const addr = (await backend.waitForLine(/ready at http:\/\/(\S+)/))[1]!;
    const port = await freePort();
    const version = spawnSync(haproxy, ['-v']).stdout.toString().split('\n')[0];
    const rows: { name: string; noId: number; withId: number }[] = [];
    say('bare haproxy…');
    rows.push({ name: 'haproxy (bench:proxy\'s bare config)', ...(await count(haproxy, bareHaproxyConfig(port, addr), port, dir)) });
    for (const v of VARIANTS) {
      say(`${v.name}…`);
      rows.push({ name: v.name, ...(await count(haproxy, render(defaultProxyConfig({ port, adminPort: 0, dataPlane: 'haproxy' }), dir, addr, v), port, dir)) });
    }
    const bare = rows[0]!;
    const f = (n: number) => Math.round(n).toLocaleString('en-US');
    const d = (n: number, b: number) => `${n >= b ? '+' : ''}${f(n - b)}`;
    console.log(`\nbench/haproxy-rules — ${new Date().toISOString()} — ${version}; callgrind instructions per request (Ir), ${REQUESTS} GETs of /hello over ${CONNECTIONS} keep-alive connections after ${WARMUP}`);
    console.log('\n| HAProxy config | no X-Request-Id sent | vs bare | a valid X-Request-Id sent | vs bare |');
    console.log('|---|---:|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.name} | ${f(r.noId)} | ${d(r.noId, bare.noId)} | ${f(r.withId)} | ${d(r.withId, bare.withId)} |`);
    console.log('\ncallgrind counts a `rep movsb` copy as one instruction per byte: most of the gap between `shoal` and `shoal --retry-sent off` is the two 16 kB request-buffer copies per request that HAProxy makes for L7 retries; bench:proxy shows what they cost in CPU time');
  } finally {
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:haproxy-rules: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
