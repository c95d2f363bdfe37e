import { randomBytes, randomUUID } from 'node:crypto';
import type { Fleet, SigningKey } from '../../fleet/index.js';
import { ShoalError } from '../../lib/errors.js';

export interface KeyRingOptions {
  /** A new signing key is made when the newest is older than this. */
  rotateMs: number;
  /** The longest token life: an old key stays for verification this long after rotation. */
  tokenTtlMs: number;
  /** How long a fetched key set is used before asking Redis again. */
  refreshMs: number;
}

const keyUnavailable = (cause: unknown) =>
  new ShoalError('SHOAL_ERR_AUTH_UNAVAILABLE', 'token keys are unavailable (Redis unreachable): retry later', 503, { cause });

/**
 * The signing keys every app server shares, kept in Redis (fleet's auth keys) and cached
 * here. Signing uses the newest; verification finds a key by the token's `kid`, re-reading
 * Redis once when the kid is new to this process (another server rotated).
 */
export class KeyRing {
  private keys: SigningKey[] = [];
  private fetchedAt = 0;
  private loading: Promise<SigningKey[]> | undefined;
  private readonly verifyKeys = new Map<string, Promise<CryptoKey>>();

  constructor(
    private readonly fleet: Fleet,
    private readonly o: KeyRingOptions,
  ) {}

  async signingKey(): Promise<{ kid: string; secret: Uint8Array }> {
    const k = (await this.current())[0]!;
    return { kid: k.kid, secret: Buffer.from(k.secret, 'base64url') };
  }

  /**
   * The key that verifies tokens signed with `kid`, or undefined when no live key has that id.
   * Imported into WebCrypto once per kid (a kid's secret never changes): importing it for
   * every request was a good part of an authenticated request's CPU.
   */
  async verifyKeyFor(kid: string): Promise<CryptoKey | undefined> {
    let k = (await this.current()).find((x) => x.kid === kid);
    if (!k && Date.now() - this.fetchedAt > 1000) k = (await this.load()).find((x) => x.kid === kid);
    if (!k) return undefined;
    let key = this.verifyKeys.get(kid);
    if (!key) this.verifyKeys.set(kid, (key = crypto.subtle.importKey('raw', Buffer.from(k.secret, 'base64url'), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])));
    return key;
  }

  private async current(): Promise<SigningKey[]> {
    const now = Date.now();
    const stale = now - this.fetchedAt > this.o.refreshMs || (this.keys[0] && now - this.keys[0].createdAt > this.o.rotateMs);
    if (this.keys.length === 0) return this.load();
    if (stale) void this.load().catch(() => {}); // keep serving with the cached set meanwhile
    return this.keys;
  }

  private load(): Promise<SigningKey[]> {
    this.loading ??= this.fleet.authKeys
      .rotate(Date.now(), this.o.rotateMs, this.o.rotateMs + this.o.tokenTtlMs, { kid: randomUUID(), secret: randomBytes(32).toString('base64url') })
      .then(
        (keys) => {
          this.keys = keys;
          // keys gone from the set (expired) are forgotten
          for (const kid of this.verifyKeys.keys()) if (!keys.some((k) => k.kid === kid)) this.verifyKeys.delete(kid);
          this.fetchedAt = Date.now();
          return keys;
        },
        (err: unknown) => {
          if (this.keys.length > 0) return this.keys;
          throw keyUnavailable(err);
        },
      )
      .finally(() => (this.loading = undefined));
    return this.loading;
  }
}
