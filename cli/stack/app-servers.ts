import { LocalState, localStateDir } from '../../autoscaler/providers/local-state.js';
import type { Fleet } from '../../fleet/index.js';
import { ShoalError } from '../../lib/errors.js';
import { pidAlive as alive } from '../../lib/process.js';

// The app servers of `shoal up` are the autoscaler's (it launches, replaces and adopts
// them); the supervisor only waits for the first ones and stops whatever is left.

/** A registry from an earlier run (kept by the embedded Redis, or a shared one) is never taken for live servers. */
export async function forgetStaleServers(fleet: Fleet): Promise<void> {
  for (const s of await fleet.registry.list()) {
    if (s.state === 'gone' || s.provider !== 'local') continue;
    const pid = Number(s.instanceId);
    if (!pid || !alive(pid)) await fleet.registry.gone(s.id);
  }
}

export interface WaitForServers {
  fleet: Fleet;
  proxyAdminUrl: string;
  n: number;
  timeoutMs: number;
  /** Named in the timeout's message. */
  logs: string;
  say: (line: string) => void;
  /** A crash loop meanwhile ends the wait. */
  failed: () => ShoalError | undefined;
}

/** Waits until `n` app servers are ready in the registry and the proxy routes to them. */
export async function waitForServers(o: WaitForServers): Promise<void> {
  const seen = new Set<string>();
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const routable = await routableByProxy(o.proxyAdminUrl);
    for (const s of await o.fleet.registry.list()) {
      if (s.state === 'ready' && routable.has(s.id) && !seen.has(s.id)) {
        seen.add(s.id);
        o.say(`app         ready  ${s.address} (server ${s.id})`);
      }
    }
    if (seen.size >= o.n) return;
    if (Date.now() > deadline) {
      throw new ShoalError('SHOAL_ERR_APP_TIMEOUT', `${seen.size}/${o.n} app servers ready after ${o.timeoutMs} ms (logs: ${o.logs})`);
    }
    const failed = o.failed();
    if (failed) throw failed;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Ids the proxy would send a request to now: ready in its pool, passing health checks. */
async function routableByProxy(adminUrl: string): Promise<Set<string>> {
  try {
    const res = await fetch(`${adminUrl}/pool`, { signal: AbortSignal.timeout(2000) });
    const pool = (await res.json()) as { members?: { id: string; state: string; up: boolean; ejected: boolean }[] };
    return new Set((pool.members ?? []).filter((m) => m.state === 'ready' && m.up && !m.ejected).map((m) => m.id));
  } catch {
    return new Set();
  }
}

/**
 * After the autoscaler stopped: its app servers outlive it (a restarted autoscaler adopts
 * them), so the stack stops them through the local provider's pid files.
 */
export async function stopAppServers(dataDir: string, prefix: string): Promise<void> {
  await new LocalState(localStateDir(dataDir, prefix)).stopAll(15_000);
}
