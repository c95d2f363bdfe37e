import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { cpuSeconds } from './proc-cpu.js';
import { startAppProcess, type AppProcess } from './shoal-app-process.js';

/** One `shoal app` start, as an operator waiting on it would see it. */
export interface Boot {
  app: AppProcess;
  /** From spawn to the first 200 from /readyz. */
  wallMs: number;
  /** The process's CPU seconds (user + system) at that moment: the whole boot's work. */
  cpuS: number;
  /** Resident memory then, MB (VmRSS). */
  rssMb: number;
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Starts `shoal app` with `args` and times it to its first ready /readyz. The ready line
 * comes first (the app prints it once listening, warmed up and registered), then /readyz is asked
 * until it answers 200, so the figure includes the first DynamoDB probe.
 */
export async function bootApp(args: string[], nodeArgs: string[] = [], env: Record<string, string> = {}): Promise<Boot> {
  const t0 = performance.now();
  const app = await startAppProcess(args, nodeArgs, env);
  try {
    for (let i = 0; ; i++) {
      const res = await fetch(`${app.url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) break;
      if (i > 200) throw new Error(`/readyz still ${res.status} after ${i} tries`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const wallMs = performance.now() - t0;
    return { app, wallMs, cpuS: cpuSeconds(app.pid), rssMb: rssMb(app.pid) };
  } catch (err) {
    await app.stop();
    throw err;
  }
}
