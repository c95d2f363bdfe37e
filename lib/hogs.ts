// Resource hogs for chaos experiments: what stress-ng or a memory leak would do inside the
// server's container, done in the server's own process so the local provider needs nothing else.

export interface Hog {
  kind: 'cpu' | 'memory';
  until: number;
  detail: string;
  stop(): void;
}

const SLICE_MS = 100;

/**
 * CPU starvation: the server's one thread is busy `percent` % of every 100 ms for `ms`, so it
 * has the rest for its requests and health checks, as a container whose CPU a neighbour took.
 */
export function cpuHog(percent: number, ms: number): Hog {
  const busy = (SLICE_MS * percent) / 100;
  const until = Date.now() + ms;
  const timer = setInterval(() => {
    if (Date.now() >= until) return clearInterval(timer);
    const end = performance.now() + busy;
    while (performance.now() < end) {
      // spin: this is the fault
    }
  }, SLICE_MS);
  timer.unref();
  return { kind: 'cpu', until, detail: `${percent} % of the event loop`, stop: () => clearInterval(timer) };
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
