/**
 * Which launched servers may boot now. On one machine, boots past the core count only
 * share the cores with each other and with the servers already serving, so every one of
 * them gets slower; queued, each boots at full speed in turn. Plain data, no timers: the
 * local provider calls it and opens each child's gate for the ids it returns.
 */
export class BootGate {
  private readonly waiting: string[] = [];
  private readonly booting = new Set<string>();

  /** `limit`: boots at once (the cores available). */
  constructor(private readonly limit: number) {}

  /** A launched server asks to boot; returns the ids that may start now, in launch order. */
  enqueue(id: string): string[] {
    this.waiting.push(id);
    return this.admit();
  }

  /** A server finished booting (ready, failed or gone); returns the ids that may start now. */
  done(id: string): string[] {
    this.booting.delete(id);
    const i = this.waiting.indexOf(id);
    if (i >= 0) this.waiting.splice(i, 1);
    return this.admit();
  }

  /** Servers booting now (their gate is open, not ready yet). */
  get started(): string[] {
    return [...this.booting];
  }

  private admit(): string[] {
    const out: string[] = [];
    while (this.waiting.length > 0 && this.booting.size < Math.max(1, this.limit)) {
      const id = this.waiting.shift()!;
      this.booting.add(id);
      out.push(id);
    }
    return out;
  }
}
