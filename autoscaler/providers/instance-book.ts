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
