import { ApiError } from '../errors.js';

/**
 * One page of a Describe call. The NextToken is the offset of the next item, opaque to
 * callers; without MaxResults every item comes back, as AWS does.
 */
export function page<T>(items: readonly T[], maxResults: number | undefined, token: string | undefined): { items: T[]; nextToken?: string } {
  let start = 0;
  if (token !== undefined && token !== '') {
    const m = /^o(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
    if (!m) throw new ApiError('InvalidParameterValue', `Invalid value '${token}' for NextToken`);
    start = Number(m[1]);
  }
  const end = maxResults === undefined ? items.length : start + maxResults;
  const slice = items.slice(start, end);
  return end < items.length ? { items: slice, nextToken: Buffer.from(`o${end}`).toString('base64url') } : { items: slice };
}
