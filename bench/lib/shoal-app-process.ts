import { spawnNode, type BenchChild } from './child-process.js';

export interface AppProcess extends BenchChild {
  url: string;
  /** host:port, as registered (names its request-monitor hash). */
  address: string;
}

/**
 * `shoal app` from dist/ (the bench builds it first), on a free port; resolves when it prints
 * its ready line. `nodeArgs` go to node itself (e.g. --cpu-prof).
 */
export async function startAppProcess(args: string[], nodeArgs: string[] = []): Promise<AppProcess> {
  const c = spawnNode([...nodeArgs, 'dist/cli/shoal.js', 'app', '--port', '0', ...args], { SHOAL_LOG_LEVEL: 'warn' });
  try {
    const m = await c.waitForLine(/ready at (http:\/\/(\S+))/);
    return { ...c, url: m[1]!, address: m[2]! };
  } catch (err) {
    await c.stop();
    throw err;
  }
}
