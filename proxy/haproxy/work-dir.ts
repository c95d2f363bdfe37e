import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from '../../lib/process.js';

const PREFIX = 'shoal-haproxy-';
const OWNED = /^shoal-haproxy-(\d+)-/;

/**
 * The directory HAProxy runs from: its config, Runtime API socket, error pages and the TLS
 * bundle (the private key among them). Named for this proxy's pid, so the next proxy can tell
 * a directory whose owner was SIGKILLed (and never cleaned up) from one still in use.
 */
export function makeWorkDir(root = tmpdir()): string {
  return mkdtempSync(join(root, `${PREFIX}${process.pid}-`));
}

/** Removes the work directories of proxies that are gone (ours only: same uid); returns what went. */
export function sweepStaleWorkDirs(root = tmpdir()): string[] {
  const uid = process.getuid?.();
  const removed: string[] = [];
  for (const name of safeList(root)) {
    const pid = OWNED.exec(name)?.[1];
    if (!pid || pidAlive(Number(pid))) continue;
    const dir = join(root, name);
    try {
      if (uid !== undefined && statSync(dir).uid !== uid) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // raced with another proxy's sweep, or not ours to remove: leave it
    }
  }
  return removed;
}

function safeList(root: string): string[] {
  try {
    return readdirSync(root).filter((n) => n.startsWith(PREFIX));
  } catch {
    return [];
  }
}
