import { createHash } from 'node:crypto';
import type { Fleet } from '../../fleet/index.js';
import { ShoalError } from '../../lib/errors.js';

export interface LoginLimits {
  /** Failed logins per account (email) per window before further attempts get a 429. */
  perAccount: number;
  /** Failed logins per client address per window. */
  perAddress: number;
  windowMs: number;
}

/** Pure: whether the next attempt may go on, and if not, when to try again. */
export function loginVerdict(account: { count: number; resetMs: number }, address: { count: number; resetMs: number }, limits: LoginLimits): { allowed: true } | { allowed: false; retryAfterS: number } {
  const blocked = [account.count >= limits.perAccount ? account.resetMs : -1, address.count >= limits.perAddress ? address.resetMs : -1].filter((ms) => ms >= 0);
  if (blocked.length === 0) return { allowed: true };
  return { allowed: false, retryAfterS: Math.max(1, Math.ceil(Math.max(...blocked) / 1000)) };
}

// Emails are not kept in Redis in clear: the counters are keyed by a digest.
const digest = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 22);

/** Counts failed logins in Redis, per account and per address, so every app server sees the same counts. */
export class LoginGuard {
  constructor(
    private readonly fleet: Fleet,
    private readonly limits: LoginLimits,
  ) {}

  async check(account: string, address: string): Promise<{ allowed: true } | { allowed: false; retryAfterS: number }> {
    try {
      const [a, b] = await Promise.all([this.fleet.auth.failures('account', digest(account)), this.fleet.auth.failures('address', address)]);
      return loginVerdict(a, b, this.limits);
    } catch (err) {
      // Failing closed: without the counters, guessing would be unlimited.
      throw new ShoalError('SHOAL_ERR_AUTH_UNAVAILABLE', 'logins are unavailable right now (Redis unreachable): retry later', 503, { cause: err });
    }
  }

  failed(account: string, address: string): Promise<void> {
    return this.fleet.auth.fail(digest(account), address, this.limits.windowMs);
  }

  succeeded(account: string): Promise<void> {
    return this.fleet.auth.clearAccount(digest(account));
  }
}
