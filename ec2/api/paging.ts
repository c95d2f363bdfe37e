import { ApiError } from '../errors.js';

/**
 * One page of a Describe call, in the order of `keyOf` (unique per item). The NextToken
 * names the last item returned, not an offset: an item that goes away between two pages (a
 * terminated instance aging out) moves no other item past the reader, and one added later
 * shows up on a later page, as with AWS's opaque tokens. Without MaxResults every item comes
 * back, as AWS does.
 */
export function page<T>(items: readonly T[], keyOf: (item: T) => string, maxResults: number | undefined, token: string | undefined): { items: T[]; nextToken?: string } {
  const keyed = items.map((item) => ({ item, key: keyOf(item) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let start = 0;
  if (token !== undefined && token !== '') {
    const m = /^k(.+)$/s.exec(Buffer.from(token, 'base64url').toString());
    if (!m) throw new ApiError('InvalidParameterValue', `Invalid value '${token}' for NextToken`);
    const after = m[1]!;
    start = keyed.findIndex((x) => x.key > after);
    if (start < 0) start = keyed.length;
  }
  const end = maxResults === undefined ? keyed.length : start + maxResults;
  const slice = keyed.slice(start, end);
  if (end >= keyed.length || slice.length === 0) return { items: slice.map((x) => x.item) };
  return { items: slice.map((x) => x.item), nextToken: Buffer.from(`k${slice[slice.length - 1]!.key}`).toString('base64url') };
}

/** A key that sorts by time (ms since the epoch), oldest first, then by id. */
export function byTime(ms: number, id: string): string {
  return `${String(ms).padStart(16, '0')}.${id}`;
}

/** A key that sorts by time, newest first, then by id. */
export function byTimeNewestFirst(ms: number, id: string): string {
  return byTime(Number.MAX_SAFE_INTEGER - ms, id);
}
