import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The package root from dist/cli/ (built, or unpacked from a release) or cli/ (tsx).
const ROOT = ['../../', '../'].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((d) => existsSync(`${d}package.json`)) ?? '.';

/** `0.1.0`, or `0.1.0 (3f2a9c1d0e4b)` from a release whose manifest names its commit. */
export function shoalVersion(): string {
  const { version } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string };
  if (!existsSync(`${ROOT}manifest.json`)) return version;
  const { sha } = JSON.parse(readFileSync(`${ROOT}manifest.json`, 'utf8')) as { sha?: string };
  return sha ? `${version} (${sha})` : version;
}
