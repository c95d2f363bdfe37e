import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { childPids } from './proc-cpu.js';

/** RSS in kB of a process and its direct children. */
export function treeRssKb(pid: number): number {
  const rss = (p: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
  let kb = rss(pid);
  for (const c of childPids(pid)) {
    try {
      kb += rss(c);
    } catch {
      // gone meanwhile
    }
  }
  return kb;
}

/** A request each socket sends once, then holds the connection idle (keep-alive) after the answer. */
export interface FirstRequest {
  path: string;
  /** The answer is complete when what was read ends with this. */
  answerEnds: string;
}

/** RSS (MB) while the sockets are held: a second after the last one, and once idle for `IDLE_S`. */
export interface IdleRss {
  soon: number;
  idle: number;
}

/** The second reading: past the proxy's quiet-time collections (6 s) and V8's memory reducer's start delay (8 s). */
export const IDLE_S = 10;

/**
 * RSS (MB) of the process tree while `n` idle client sockets are held open against `url`:
 * silent from the start, or, with `first`, after one answered request each.
 */
export async function rssWithIdleSockets(url: string, pid: number, n: number, say: (s: string) => void, first?: FirstRequest): Promise<IdleRss> {
  const u = new URL(url);
  const sockets: Socket[] = [];
  let refused = 0;
  // requests in small batches: 500 at once would overrun the proxy's queue per app server (503s)
  const batch = first ? 50 : 500;
  const opened = (s: Socket, resolve: () => void) => {
    if (!first) return resolve();
    let got = '';
    s.on('data', (b: Buffer) => {
      got += b.toString('latin1');
      if (got.endsWith(first.answerEnds)) resolve();
      else if (!got.startsWith('HTTP/1.1 200') && got.includes('\r\n\r\n')) {
        refused++;
        resolve();
      }
    });
    s.write(`GET ${first.path} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`);
  };
  try {
    for (let i = 0; i < n; i += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, n - i) }, () => new Promise<void>((resolve) => {
          const s = connect({ host: u.hostname, port: Number(u.port) }, () => opened(s, resolve));
          s.on('error', () => resolve());
          s.on('close', () => resolve());
          sockets.push(s);
        })),
      );
    }
    const last = Date.now();
    await new Promise((r) => setTimeout(r, 1000)); // let the server accept and settle
    const open = sockets.filter((s) => !s.destroyed).length;
    if (open < n) say(`note: only ${open} of ${n} idle sockets stayed open against ${url}`);
    if (refused) say(`note: ${refused} of ${n} first requests were not answered 200 by ${url}`);
    const soon = treeRssKb(pid) / 1024;
    await new Promise((r) => setTimeout(r, last + IDLE_S * 1000 - Date.now()));
    const stillOpen = sockets.filter((s) => !s.destroyed).length;
    if (stillOpen < open) say(`note: ${open - stillOpen} idle sockets were closed by ${url} within ${IDLE_S} s`);
    return { soon, idle: treeRssKb(pid) / 1024 };
  } finally {
    for (const s of sockets) s.destroy();
  }
}
