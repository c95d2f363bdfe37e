/**
 * A first-come queue in front of password hashing. scrypt runs on libuv's threadpool (4
 * threads unless UV_THREADPOOL_SIZE says otherwise), which the app's other async work —
 * crypto.randomFill, file reads, DNS lookups — shares: a burst of logins or sign-ups, each
 * holding a thread for 50-100 ms of scrypt, would otherwise take every thread and stall
 * requests that hash nothing. With at most `limit` hashes at once the rest wait their turn
 * here, in order, and the other threads stay free.
 */
export class HashGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      // hand the slot straight to the next in line, or give it back
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
