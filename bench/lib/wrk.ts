import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkResult {
  rps: number;
  requests: number;
  /** Non-2xx/3xx responses plus socket errors: a bench round with any is not a clean measurement. */
  errors: number;
  /** With `latency`: wrk's closed-loop percentiles in ms (NaN otherwise). */
  p50Ms: number;
  p99Ms: number;
}

export interface WrkOptions {
  url: string;
  seconds: number;
  connections: number;
  threads?: number;
  /** Paths picked at random per request (a Lua script); else every request GETs `url`. */
  paths?: string[];
  /** Ask wrk for its latency distribution (--latency). */
  latency?: boolean;
}

/** One wrk run (wrk from the Debian package) against loopback. */
export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = ['-t', String(o.threads ?? 1), '-c', String(o.connections), '-d', `${o.seconds}s`];
  if (o.latency) args.push('--latency');
  let dir: string | undefined;
  if (o.paths?.length) {
    dir = mkdtempSync(join(tmpdir(), 'shoal-wrk-'));
    const script = join(dir, 'paths.lua');
    const list = o.paths.map((p) => JSON.stringify(p)).join(',\n');
    writeFileSync(script, `local paths = {\n${list}\n}\nrequest = function()\n  return wrk.format("GET", paths[math.random(#paths)])\nend\n`);
    args.push('-s', script);
  }
  args.push(o.url);
  try {
    const { stdout } = await run('wrk', args, { timeout: (o.seconds + 30) * 1000 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new Error('wrk not found: apt-get install wrk');
      throw err;
    });
    const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? 0);
    const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
    return {
      rps: num(/Requests\/sec:\s+([\d.]+)/),
      requests: num(/(\d+) requests in/),
      errors: num(/Non-2xx or 3xx responses: (\d+)/) + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
      p50Ms: latencyMs(stdout, '50'),
      p99Ms: latencyMs(stdout, '99'),
    };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** A percentile from wrk's --latency distribution, in ms. */
function latencyMs(stdout: string, pct: string): number {
  const m = new RegExp(`\\s${pct}%\\s+([\\d.]+)(us|ms|s)\\b`).exec(stdout);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}
