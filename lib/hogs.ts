// Resource hogs for chaos experiments: what stress-ng or a memory leak would do inside the
// server's container, done in the server's own process so the local provider needs nothing else.

export interface Hog {
  kind: 'cpu' | 'memory';
  until: number;
  detail: string;
  /** CPU per request (cpu hogs). */
  costMs?: number;
  stop(): void;
}

/**
 * CPU starvation: for `ms`, every request burns `costMs` of CPU on the server's one thread
 * before it is handled, as when a neighbour takes the core: the server's capacity drops to
 * 1000 / costMs requests/s and whatever is sent beyond that queues.
 */
export function cpuHog(costMs: number, ms: number): Hog & { costMs: number } {
  return { kind: 'cpu', until: Date.now() + ms, detail: `${costMs} ms of CPU per request`, costMs, stop: () => {} };
}

/** Busy-waits: the hog's cost, paid on the thread that serves requests. */
export function burn(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: this is the fault
  }
}

/**
 * A leak: `mb` MiB of touched memory (resident), grown 16 MiB per 100 ms and held for `ms`.
 * With `limitMb`, the process is killed when its RSS passes it, as a container's OOM killer would.
 */
export function memoryHog(mb: number, ms: number, limitMb: number | undefined, onOom: (rssMb: number) => void): Hog {
  let held: Buffer[] = [];
  const until = Date.now() + ms;
  const grow = setInterval(() => {
    for (let i = 0; i < 16 && held.length < mb; i++) held.push(Buffer.alloc(1024 * 1024, 1));
    const rssMb = process.memoryUsage.rss() / 1024 / 1024;
    if (limitMb !== undefined && rssMb > limitMb) onOom(rssMb);
    if (held.length >= mb) clearInterval(grow);
  }, 100);
  const release = setTimeout(() => stop(), ms);
  grow.unref();
  release.unref();
  function stop() {
    clearInterval(grow);
    clearTimeout(release);
    held = [];
  }
  return { kind: 'memory', until, detail: `${mb} MiB${limitMb ? `, limit ${limitMb} MiB` : ''}`, stop };
}
