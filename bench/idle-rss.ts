// bench/idle-rss: where the Node data plane's memory with idle client sockets goes. RSS of
// node's bare http server (the undici floor of bench:proxy, which only adds a Pool) and of
// `shoal proxy`, before and while holding --idle-sockets idle client sockets, each with
// Node's defaults and with a 1 MB young-generation semi-space (--max-semi-space-size=1), and
// the sockets idle two ways: silent since they connected, and kept alive after one answered
// request (GET /hello through the proxy to a backend). RSS is read a second after the last
// socket was opened (or answered) and again once they have all been idle for 10 s.
//   npm run bench:idle-rss -- [--idle-sockets 10000]
import { parseArgs } from 'node:util';
import { startRedisServer } from '../lib/redis-server.js';
import { buildOrExit } from './lib/build.js';
import { spawnNode } from './lib/child-process.js';
import { IDLE_S, rssWithIdleSockets, treeRssKb, type FirstRequest } from './lib/idle-sockets.js';
import { nodeTarget } from './lib/proxy-targets.js';
import { load1, positiveInt } from './lib/stats.js';

const { values } = parseArgs({ options: { 'idle-sockets': { type: 'string', default: '10000' } } });
const N = positiveInt('idle-sockets', values['idle-sockets']!, (msg) => {
  console.error(`bench:idle-rss: ${msg}`);
  process.exit(2);
});
const say = (s: string) => process.stderr.write(`${s}\n`);
const MODES: [string, FirstRequest | undefined][] = [
  ['silent', undefined],
  ['after one request', { path: '/hello', answerEnds: 'hello world\n' }],
];

buildOrExit('bench:idle-rss');
const loadAtStart = load1();
const redis = await startRedisServer();
const backend = spawnNode(['test/fixtures/backend.mjs', '--id', 'idle', '--redis', redis.url, '--prefix', 'idle:']);
const rows: string[] = [];
try {
  const backendAddr = (await backend.waitForLine(/ready at http:\/\/(\S+)/))[1]!;
  for (const flags of [[], ['--max-semi-space-size=1']]) {
    const floor = [...flags, 'bench/lib/undici-floor-proxy.mjs', '--backend', backendAddr];
    const shoal = [...flags, 'dist/cli/shoal.js', 'proxy', '--port', '0', '--admin-port', '0', '--redis', redis.url, '--prefix', 'idle:', '--log-level', 'warn'];
    for (const [name, args, ready] of [['node http server (undici floor)', floor, /listening (http:\/\/\S+)/], ['shoal proxy', shoal, /ready at (http:\/\/\S+) /]] as const) {
      for (const [mode, first] of MODES) {
        const t = await nodeTarget(name, [...args], ready);
        try {
          await new Promise((r) => setTimeout(r, 1000)); // past its start-up (and the proxy's first read of the pool)
          const before = treeRssKb(t.pid) / 1024;
          const idle = await rssWithIdleSockets(t.url, t.pid, N, say, first);
          rows.push(`| ${name} | ${flags.join(' ') || '(none)'} | ${mode} | ${before.toFixed(0)} | ${idle.soon.toFixed(0)} | ${(((idle.soon - before) * 1024) / N).toFixed(1)} | ${idle.idle.toFixed(0)} |`);
          say(rows.at(-1)!);
        } finally {
          await t.stop();
        }
      }
    }
  }
} finally {
  await backend.stop();
  await redis.stop();
}
console.log(`\nbench/idle-rss — ${new Date().toISOString()} — load average ${loadAtStart} at the start, ${load1()} at the end, node ${process.version}, ${N} idle client sockets\n`);
console.log(`| process | node flags | sockets | RSS before MB | RSS with idle sockets MB | kB per socket | the same after ${IDLE_S} s idle MB |`);
console.log('|---|---|---|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
