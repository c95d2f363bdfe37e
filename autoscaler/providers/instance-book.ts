import type { Logger } from '../../lib/log.js';
import type { Instance } from './provider.js';

/** One instance as the provider last learned of it: EC2's own state name (stopped is not terminated) and when it was learned. */
export interface Listed {
  instance: Instance;
  ec2State: string;
  /** When this provider first learned of it (a full listing's start, or its own launch). */
  notedAt: number;
}

/** Every EC2 state but `running`: what each tick lists (few instances, on a steady fleet). */
export const NOT_RUNNING = ['pending', 'shutting-down', 'terminated', 'stopping', 'stopped'];

/**
 * The book after a listing of the instances not running. An instance listed takes the state
 * listed; one the book knows that the listing lacks is running (the only state left out),
 * unless it was terminated: then it has aged out of EC2's listing (about an hour) and leaves
 * the book too. Pure; the full listing every resync catches what went straight to running unseen.
 */
export function applyChanges(book: ReadonlyMap<string, Listed>, changing: readonly Listed[], now: number): Map<string, Listed> {
  const out = new Map<string, Listed>();
  const listed = new Map(changing.map((l) => [l.instance.instanceId, l]));
  for (const [id, known] of book) {
    if (listed.has(id)) continue;
    if (known.ec2State === 'terminated') continue;
    out.set(id, known.ec2State === 'running' ? known : { ...known, ec2State: 'running', instance: { ...known.instance, state: 'running' } });
  }
  for (const [id, l] of listed) out.set(id, { ...l, notedAt: book.get(id)?.notedAt ?? now });
  return out;
}

/**
 * The book after a full listing that started at `startedAt`: the listing, plus what the book
 * learned since it started (this provider's own launches, which a listing that began before
 * them, or EC2's lagging one, may lack).
 */
export function applyFull(book: ReadonlyMap<string, Listed>, full: readonly Listed[], startedAt: number): Map<string, Listed> {
  const out = new Map(full.map((l) => [l.instance.instanceId, l]));
  for (const [id, known] of book) if (!out.has(id) && known.notedAt >= startedAt) out.set(id, known);
  return out;
}

/** How a book lists the fleet: paginated DescribeInstances, all of it or only what is not running; each page handed over as it arrives, the next asked for once `onPage` resolves. */
export type ListFleet = (what: 'all' | 'not-running', notedAt: number, onPage?: (page: readonly Listed[]) => Promise<void>) => Promise<Listed[]>;

/**
 * The fleet as a provider keeps it between full listings, like a controller's informer cache:
 * the whole fleet listed in the background every `resyncMs`, and each tick's listing of what is
 * not running applied on top. A standby does not follow the fleet, so taking the lead (`lead()`)
 * starts a fresh full listing in the background; until one started since then is in, the book
 * is incomplete (`complete` false): the tick answers at once from what it has, pages included
 * as they arrive, and the daemon judges nothing gone and scales nothing in on it.
 *
 * A full listing's pages are asked for only in the first half of the time between two ticks,
 * so a tick's own listing never queues behind them at the API (one endpoint's queue here, the
 * account's DescribeInstances rate limit on AWS): a full listing may take a few ticks.
 */
export class InstanceBook {
  private book = new Map<string, Listed>();
  /** When the newest full listing (in the book or under way) started; undefined before the first. */
  private fullStartedAt?: number;
  /** A background full listing done but not yet in the book: list() takes it in before its own listing. */
  private fresh?: { listed: Listed[]; startedAt: number };
  private resyncing?: Promise<void>;
  /** Only a full listing that started at or after this confirms the book. */
  private leadAt = 0;
  private trusted = false;
  /** When the last tick's listing was done, and the time between the last two (the pace of full listings' pages). */
  private lastTickAt?: number;
  private tickGapMs?: number;
  private wake: (() => void)[] = [];
  /** The newest full listing's size and duration (logged; bench:fleet prints it). */
  lastFull?: { instances: number; startedAt: number; ms: number; background: boolean };

  constructor(private readonly o: { list: ListFleet; resyncMs: number; log: Logger; what: string }) {}

  get complete(): boolean {
    return this.trusted;
  }

  get size(): number {
    return this.book.size;
  }

  /** An instance this provider just launched, which a listing under way (or EC2's lagging one) may lack. */
  noted(l: Listed): void {
    this.book.set(l.instance.instanceId, l);
  }

  /**
   * Taking the lead, with ticks every `tickEveryMs`: the book is incomplete until a full
   * listing started now is in. Resolves when it is (list() then takes it in).
   */
  lead(tickEveryMs?: number, now = Date.now()): Promise<void> {
    this.trusted = false;
    this.leadAt = now;
    this.tickGapMs = tickEveryMs;
    this.lastTickAt = performance.now();
    if (this.o.resyncMs === 0) return Promise.resolve();
    const under = this.resyncing ?? Promise.resolve();
    // One under way began before the lead: the next, started after it, is the one that counts.
    return under.then(() => this.resyncing ?? this.resync(Date.now()));
  }

  /** Every instance of the fleet as known now; with `resyncMs` 0, the whole fleet listed on the call. */
  async list(now = Date.now()): Promise<Instance[]> {
    if (this.o.resyncMs === 0) {
      const t0 = performance.now();
      const listed = await this.o.list('all', now);
      this.lastFull = { instances: listed.length, startedAt: now, ms: performance.now() - t0, background: false };
      this.book = applyFull(this.book, listed, now);
      this.fullStartedAt = now;
      this.trusted = true;
      return this.instances();
    }
    this.takeFresh();
    if (!this.resyncing && (this.fullStartedAt === undefined || now - this.fullStartedAt >= this.o.resyncMs)) void this.resync(now);
    // An incomplete book judges nothing: the listing of what changed would add nothing to act on.
    if (this.trusted) {
      const changing = await this.o.list('not-running', Date.now());
      this.book = applyChanges(this.book, changing, Date.now());
    }
    this.ticked();
    return this.instances();
  }

  /** A tick's listing is done: a full listing under way may ask for pages again, for half the time to the next tick. */
  private ticked(): void {
    const at = performance.now();
    if (this.lastTickAt !== undefined) this.tickGapMs = at - this.lastTickAt;
    this.lastTickAt = at;
    for (const wake of this.wake.splice(0)) wake();
  }

  /** Resolves when a full listing may ask for its next page: in the first half of the time between ticks (at once before the second tick). */
  private paced(): Promise<void> {
    const gap = this.tickGapMs;
    if (gap === undefined || this.lastTickAt === undefined || performance.now() - this.lastTickAt < gap / 2) return Promise.resolve();
    // Not leading any more, no tick comes: go on after a gap anyway, so the listing never hangs.
    return new Promise((ok) => {
      const timer = setTimeout(ok, gap);
      this.wake.push(() => {
        clearTimeout(timer);
        ok();
      });
    });
  }

  private takeFresh(): void {
    if (!this.fresh) return;
    this.book = applyFull(this.book, this.fresh.listed, this.fresh.startedAt);
    if (this.fresh.startedAt >= this.leadAt) this.trusted = true;
    this.fresh = undefined;
  }

  /** One full listing in the background; a failed one counts for nothing: the next tick starts another. */
  private resync(now: number): Promise<void> {
    const previous = this.fullStartedAt;
    this.fullStartedAt = now;
    const t0 = performance.now();
    // While the book is incomplete each page goes in as it arrives: a new leader's tick sees what is listed so far.
    const onPage = (page: readonly Listed[]) => {
      if (!this.trusted) for (const l of page) this.book.set(l.instance.instanceId, { ...l, notedAt: this.book.get(l.instance.instanceId)?.notedAt ?? l.notedAt });
      return this.paced();
    };
    this.resyncing = this.o
      .list('all', now, onPage)
      .then((listed) => {
        this.fresh = { listed, startedAt: now };
        this.lastFull = { instances: listed.length, startedAt: now, ms: performance.now() - t0, background: true };
        this.o.log.debug(this.lastFull, `${this.o.what}: full listing done`);
      })
      .catch((err: Error) => {
        this.fullStartedAt = previous;
        this.o.log.warn({ err: err.message }, `${this.o.what}: full listing failed: the next tick tries again`);
      })
      .finally(() => (this.resyncing = undefined));
    return this.resyncing;
  }

  private instances(): Instance[] {
    return [...this.book.values()].map((l) => l.instance);
  }
}
