import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The pages ship as static files: no build step, no third-party scripts. They sit beside
// this file in the source tree; compiled code finds them from dist/dashboard/.
export function staticPage(name: string): Buffer {
  const beside = fileURLToPath(new URL(`./${name}`, import.meta.url));
  return readFileSync(existsSync(beside) ? beside : fileURLToPath(new URL(`../../dashboard/${name}`, import.meta.url)));
}
