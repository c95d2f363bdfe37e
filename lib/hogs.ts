import { Worker } from 'node:worker_threads';

// Resource hogs for chaos experiments: what stress-ng would do inside the server's
// container, done in the server's own process so the local provider needs nothing else.

const SPIN = `
const { workerData } = require('node:worker_threads');
const end = Date.now() + workerData.ms;
let x = 0;
while (Date.now() < end) { for (let i = 0; i < 1e5; i++) x += i; }
`;

export interface Hog {
  kind: 'cpu' | 'memory';
  until: number;
  detail: string;
  stop(): void;
}

/** Busy threads (each a core's worth of spinning) for `ms`; the event loop stays free, so the server is slowed, not frozen. */
export function cpuHog(threads: number, ms: number): Hog {
  const workers = Array.from({ length: threads }, () => new Worker(SPIN, { eval: true, workerData: { ms } }));
  for (const w of workers) w.unref();
  return { kind: 'cpu', until: Date.now() + ms, detail: `${threads} busy thread(s)`, stop: () => workers.forEach((w) => void w.terminate()) };
}

/** Holds `mb` MiB of touched memory (every page written, so it is resident) for `ms`. */
export function memoryHog(mb: number, ms: number): Hog {
  let held: Buffer[] = [];
  for (let i = 0; i < mb; i++) held.push(Buffer.alloc(1024 * 1024, 1));
  const timer = setTimeout(() => (held = []), ms);
  timer.unref();
  return {
    kind: 'memory',
    until: Date.now() + ms,
    detail: `${mb} MiB held`,
    stop: () => {
      clearTimeout(timer);
      held = [];
    },
  };
}
