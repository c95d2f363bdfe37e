import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

// Count one failure; the window starts with the first one (the TTL is set only on a new key).
const FAIL = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`;

/** Failed-login counters per account and per address (a fixed window each), and the token deny list. */
export class AuthStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Failures so far in the current window, and ms until it ends (0 when there is none). */
  async failures(scope: 'account' | 'address', who: string): Promise<{ count: number; resetMs: number }> {
    const key = this.keys.loginFailures(scope, who);
    const [count, ttl] = await Promise.all([this.redis.get(key), this.redis.pttl(key)]);
    return { count: Number(count ?? 0), resetMs: Math.max(0, ttl) };
  }

  /** Records a failure in both scopes at once. */
  async fail(account: string, address: string, windowMs: number): Promise<void> {
    await this.redis
      .pipeline()
      .eval(FAIL, 1, this.keys.loginFailures('account', account), String(windowMs))
      .eval(FAIL, 1, this.keys.loginFailures('address', address), String(windowMs))
      .exec();
  }

  /** A successful login clears its account's failures (the address keeps its own). */
  async clearAccount(account: string): Promise<void> {
    await this.redis.del(this.keys.loginFailures('account', account));
  }

  /** Denies `jti` until the token it names would have expired anyway. */
  async revoke(jti: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.revokedToken(jti), '1', 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.revokedToken(jti))) === 1;
  }
}
