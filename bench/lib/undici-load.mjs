// A closed-loop load client on undici's Pool, for bench/loadgen's comparison: --connections
// loops, each sending GET / and reading the whole answer before the next, for --seconds.
// Prints {"requests": N, "seconds": S} on stdout.
//   node bench/lib/undici-load.mjs --url http://127.0.0.1:PORT --connections 32 --seconds 5
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { Pool } from 'undici';

const arg = (name) => process.argv[process.argv.indexOf(`--${name}`) + 1];
const connections = Number(arg('connections'));
const pool = new Pool(arg('url'), { connections, pipelining: 1 });
const started = performance.now();
const until = started + Number(arg('seconds')) * 1000;
let requests = 0;
let failed = 0;

async function loop() {
  while (performance.now() < until) {
    const { statusCode, body } = await pool.request({ path: '/', method: 'GET' });
    await body.dump();
    if (statusCode === 200) requests++;
    else failed++;
  }
}

await Promise.all(Array.from({ length: connections }, loop));
const seconds = (performance.now() - started) / 1000;
await pool.close();
process.stdout.write(`${JSON.stringify({ requests, failed, seconds })}\n`);
