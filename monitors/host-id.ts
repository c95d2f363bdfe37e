import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';

let cached: Promise<string> | undefined;

/** The first of these files that holds a value, trimmed and lower-cased (as systeminformation reports it). */
async function firstFile(paths: readonly string[]): Promise<string> {
  for (const p of paths) {
    const v = (await readFile(p, 'utf8').catch(() => '')).trim().toLowerCase();
    if (v) return v;
  }
  return '';
}

/**
 * A stable id for this machine, so readers can count a host once however many app servers
 * it runs: the OS machine id, else the hardware uuid, else the hostname — the order and the
 * values of systeminformation's uuid(), so every version of shoal names a host alike. On
 * Linux the files are read directly (systeminformation would start a shell and `cat` them);
 * elsewhere systeminformation is loaded for it. Looked up once per process.
 */
export function hostId(): Promise<string> {
  cached ??= (async () => {
    if (process.platform === 'linux') {
      return (await firstFile(['/var/lib/dbus/machine-id', '/etc/machine-id'])) || (await firstFile(['/sys/class/dmi/id/product_uuid'])) || hostname();
    }
    const { default: si } = await import('systeminformation');
    const u = await si.uuid();
    return u.os || u.hardware || hostname();
  })().catch(() => hostname());
  return cached;
}
