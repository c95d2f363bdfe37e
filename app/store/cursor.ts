import { z } from 'zod';
import { badRequest } from '../errors.js';
import { id } from '../model.js';

// A page cursor is the scan's LastEvaluatedKey, base64url JSON: opaque to clients,
// checked on the way back in so a forged one is a 400, not a DynamoDB error.
const key = z.strictObject({ id });

export function encodeCursor(lastKey: Record<string, unknown> | undefined): string | null {
  return lastKey ? Buffer.from(JSON.stringify(lastKey)).toString('base64url') : null;
}

export function decodeCursor(cursor: string | undefined): { id: string } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const res = key.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (res.success) return res.data;
  } catch {
    // fall through to the 400
  }
  throw badRequest('cursor is not valid: pass back the `next` value of the previous page', 'SHOAL_ERR_INVALID_CURSOR');
}
