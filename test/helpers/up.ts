import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { Stack } from '../../cli/stack/stack-file.js';
import { spawnShoal, type Proc } from './proc.js';

export interface UpStack {
  proc: Proc;
  stack: Stack;
  dataDir: string;
}

/** `shoal up` on free ports in a temporary data dir, with `args` added; stopped (Ctrl-C, then its group killed) and removed in teardown. */
export async function startUp(t: Test, args: string[], env: Record<string, string> = {}): Promise<UpStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'shoal-up-'));
  const proc = spawnShoal(t.teardown, ['up', '--port', '0', '--admin-port', '0', '--proxy-admin-port', '0', '--interval', '1s', '--data-dir', dataDir, ...args], { detached: true, env });
  t.teardown(async () => {
    await proc.stop('SIGINT', 30_000);
    rmSync(dataDir, { recursive: true, force: true });
  });
  await proc.waitForOutput(/shoal is up/, 180_000);
  const stack = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')) as Stack;
  return { proc, stack, dataDir };
}
