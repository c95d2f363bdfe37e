import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The haproxy binary to run (or setpriv, see process.ts): a path as given, or a bare name looked
 * up in PATH and then the sbin directories Debian installs haproxy into (not in an ordinary
 * user's PATH). Undefined when there is none: the CLI says so and exits 2 before anything starts.
 */
export function findBinary(bin: string): string | undefined {
  if (bin.includes('/')) return existsSync(bin) ? bin : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  return dirs.map((d) => join(d, bin)).find((f) => existsSync(f));
}
