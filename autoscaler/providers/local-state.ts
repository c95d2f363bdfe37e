import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sameProcessAlive, signalGroup } from '../../lib/process.js';

/** One local app server as recorded on disk: enough for any later autoscaler to find, check and stop it. */
export interface LocalRecord {
  id: string;
  pid: number;
  /** /proc start time of `pid`: a recycled pid is not our server. */
  startTime?: string;
  zone: string;
  launchedAt: number;
}

/** Where the local provider keeps its pid files: one directory per fleet (Redis prefix) under the data dir. */
export function localStateDir(dataDir: string, prefix: string): string {
  return join(resolve(dataDir), 'servers', prefix.replace(/[^A-Za-z0-9_.-]/g, '_'));
}

/**
 * The local provider's pid files. The app servers are detached (their own process group),
 * so they outlive the autoscaler that started them; these files are how the next leader
 * (or `shoal up` stopping the stack) finds them.
 */
export class LocalState {
  constructor(readonly dir: string) {}

  write(rec: LocalRecord): void {
    mkdirSync(this.dir, { recursive: true });
    const file = this.file(rec.id);
    writeFileSync(`${file}.tmp`, JSON.stringify(rec) + '\n');
    renameSync(`${file}.tmp`, file);
  }

  remove(id: string): void {
    rmSync(this.file(id), { force: true });
  }

  read(): LocalRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    const out: LocalRecord[] = [];
    for (const n of names) {
      try {
        const r = JSON.parse(readFileSync(join(this.dir, n), 'utf8')) as LocalRecord;
        if (r.id && Number.isInteger(r.pid) && r.pid > 0) out.push(r);
      } catch {
        // half-written or foreign: a later read sees the renamed file
      }
    }
    return out;
  }

  /** Stops every recorded server still running (SIGTERM to its group, SIGKILL after `graceMs`) and forgets them all. */
  async stopAll(graceMs: number): Promise<void> {
    const running = this.read().filter(isAlive);
    for (const r of running) signalGroup(r.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (running.some(isAlive) && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 100));
    for (const r of running.filter(isAlive)) signalGroup(r.pid, 'SIGKILL');
    for (const r of this.read()) if (!isAlive(r)) this.remove(r.id);
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}

export function isAlive(r: LocalRecord): boolean {
  return sameProcessAlive(r.pid, r.startTime);
}
