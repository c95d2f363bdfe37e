import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** One HMAC signing key as stored: its id, the secret (base64url) and when it was made. */
export interface SigningKey {
  kid: string;
  secret: string;
  createdAt: number;
}

// Drop keys past retention; add the caller's fresh key only if the newest one is older than
// the rotation period. One script, so two app servers rotating at once add one key, not two.
const ROTATE = `
local now = tonumber(ARGV[1])
local rotate = tonumber(ARGV[2])
local retain = tonumber(ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
local newest = 0
for i = 1, #all, 2 do
  local made = tonumber(string.match(all[i + 1], '"createdAt":(%d+)'))
  if made == nil or made < now - retain then
    redis.call('HDEL', KEYS[1], all[i])
  elseif made > newest then
    newest = made
  end
end
if newest <= now - rotate then redis.call('HSET', KEYS[1], ARGV[4], ARGV[5]) end
return redis.call('HGETALL', KEYS[1])
`;

/** The shared key set that lets every app server verify a token any other one signed. */
export class AuthKeyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /**
   * The live keys, newest first, after rotating: `fresh` is added when the newest key is older
   * than `rotateMs`; keys older than `retainMs` (rotation + the longest token life) are dropped.
   */
  async rotate(now: number, rotateMs: number, retainMs: number, fresh: Omit<SigningKey, 'createdAt'>): Promise<SigningKey[]> {
    const value = JSON.stringify({ secret: fresh.secret, createdAt: now });
    const flat = (await this.redis.eval(ROTATE, 1, this.keys.authKeys, String(now), String(rotateMs), String(retainMs), fresh.kid, value)) as string[];
    const out: SigningKey[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const v = JSON.parse(flat[i + 1]!) as { secret: string; createdAt: number };
      out.push({ kid: flat[i]!, secret: v.secret, createdAt: v.createdAt });
    }
    return out.sort((a, b) => b.createdAt - a.createdAt);
  }
}
