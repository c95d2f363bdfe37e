import { Agent } from 'undici';
import { getJson } from '../fixtures/backend.js';

/**
 * Bounded steady load: `concurrency` loops of GETs to `${url}/echo` until stop() is called.
 * Counts answers by status; every answer but a 200, and every transport error, is a failure.
 */
export function steadyLoad(url: string, concurrency: number) {
  const agent = new Agent({ connections: concurrency });
  const counts = { ok: 0, failed: 0, statuses: new Map<string, number>() };
  let running = true;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      let key: string;
      try {
        const a = await getJson(`${url}/echo`, { dispatcher: agent });
        key = String(a.status);
        if (a.status === 200) counts.ok++;
        else counts.failed++;
      } catch (err) {
        key = (err as NodeJS.ErrnoException).code ?? 'error';
        counts.failed++;
      }
      counts.statuses.set(key, (counts.statuses.get(key) ?? 0) + 1);
    }
  });
  return {
    counts,
    total: () => counts.ok + counts.failed,
    async stop() {
      running = false;
      await Promise.all(loops);
      await agent.close();
    },
  };
}
