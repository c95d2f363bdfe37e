import { randomBytes } from 'node:crypto';

/** An AWS-style resource id: prefix and 17 hex digits (`i-0123456789abcdef0`). */
export function resourceId(prefix: 'i' | 'r' | 'vol' | 'lt'): string {
  return `${prefix}-0${randomBytes(8).toString('hex')}`;
}

export function requestId(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
