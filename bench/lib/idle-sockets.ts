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

/** RSS (MB) of the process tree while `n` idle client sockets are held open against `url`. */
export async function rssWithIdleSockets(url: string, pid: number, n: number, say: (s: string) => void): Promise<number> {
  const u = new URL(url);
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < n; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, n - i) }, () => new Promise<void>((resolve) => {
          const s = connect({ host: u.hostname, port: Number(u.port) }, () => resolve());
          s.on('error', () => resolve());
          sockets.push(s);
        })),
      );
    }
    await new Promise((r) => setTimeout(r, 1000)); // let the server accept and settle
    const open = sockets.filter((s) => !s.destroyed).length;
    if (open < n) say(`note: only ${open} of ${n} idle sockets stayed open against ${url}`);
    return treeRssKb(pid) / 1024;
  } finally {
    for (const s of sockets) s.destroy();
  }
}
