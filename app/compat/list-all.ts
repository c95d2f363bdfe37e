import type { Page } from '../model.js';

/** The originals answered a collection GET with one whole-table scan; this reads pages up to a cap. */
export const LIST_CAP = 1000;

export async function listAll<T>(page: (limit: number, cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(100, cursor);
    out.push(...p.items);
    cursor = p.next ?? undefined;
  } while (cursor && out.length < LIST_CAP);
  return out.slice(0, LIST_CAP);
}
