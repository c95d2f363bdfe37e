import type { Redis } from 'ioredis';
import { BUMP_LUA } from './counter.js';
import type { Keys } from './keys.js';

// Take the lock if free (handing out a new fencing token) or renew it if we hold it.
// The stored value is "holder|token" so a renewal keeps the token it was given. Tokens
// never go back, even after Redis lost its data (see counter.ts).
const ACQUIRE = `${BUMP_LUA}
local cur = redis.call('GET', KEYS[1])
if not cur then
  local t, s = bump(KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. '|' .. s, 'PX', ARGV[2])
  return t
end
local holder, tok = string.match(cur, '^(.*)|(%d+)$')
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(tok)
end
return 0
`;

const RELEASE = `
local cur = redis.call('GET', KEYS[1])
if cur and string.match(cur, '^(.*)|%d+$') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** One active autoscaler: a lock with a TTL and a fencing token that grows with each new leader. */
export class LeaderLock {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Returns the fencing token if `holder` leads now, else undefined. */
  async acquire(holder: string, ttlMs: number): Promise<number | undefined> {
    const t = Number(await this.redis.eval(ACQUIRE, 2, this.keys.leader, this.keys.fencing, holder, String(ttlMs)));
    return t > 0 ? t : undefined;
  }

  async release(holder: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.keys.leader, holder);
  }

  /** The current holder and token, if anyone leads. */
  async current(): Promise<{ holder: string; token: number } | undefined> {
    const v = await this.redis.get(this.keys.leader);
    const m = v ? /^(.*)\|(\d+)$/.exec(v) : null;
    return m ? { holder: m[1]!, token: Number(m[2]) } : undefined;
  }

  /**
   * True while `holder` still leads with `token`: check before acting so a deposed leader
   * does nothing. Both must match, so no token equal by chance (a Redis that lost its
   * data) lets the wrong process through.
   */
  async stillValid(holder: string, token: number): Promise<boolean> {
    const cur = await this.current();
    return cur?.holder === holder && cur.token === token;
  }
}
