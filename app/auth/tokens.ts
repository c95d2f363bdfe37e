import { randomUUID } from 'node:crypto';
// The subpaths, not 'jose' itself: the whole library is some fifty modules to compile at boot.
import { JWKSNoMatchingKey } from 'jose/errors';
import { SignJWT } from 'jose/jwt/sign';
import type { JWTPayload } from 'jose';
import { jwtVerify } from 'jose/jwt/verify';
import type { Fleet } from '../../fleet/index.js';
import { ShoalError } from '../../lib/errors.js';
import { unauthorized } from '../errors.js';
import { KeyRing, type KeyRingOptions } from './key-ring.js';

/** Who a token was issued for: shoal's own API (password login) or the course API's `/login`. */
export type Audience = 'shoal' | 'shoal-compat';

export interface Session {
  userId: string;
  jti: string;
  /** Epoch ms. */
  expiresAt: number;
  audience: Audience;
}

const ISSUER = 'shoal';

/** Signed bearer tokens (JWT, HS256, `kid` names the key) and their revocation. */
export class TokenService {
  private readonly ring: KeyRing;

  constructor(
    private readonly fleet: Fleet,
    private readonly o: KeyRingOptions,
  ) {
    this.ring = new KeyRing(fleet, o);
  }

  get ttlMs(): number {
    return this.o.tokenTtlMs;
  }

  async issue(userId: string, audience: Audience = 'shoal'): Promise<{ token: string; expiresAt: number }> {
    const { kid, secret } = await this.ring.signingKey();
    const now = Date.now();
    const expiresAt = Math.floor((now + this.o.tokenTtlMs) / 1000) * 1000;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid, typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setAudience(audience)
      .setJti(randomUUID())
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(expiresAt / 1000)
      .sign(secret);
    return { token, expiresAt };
  }

  /** The session a token stands for; any flaw (signature, expiry, audience, revoked) is the same 401. */
  async verify(token: string, audiences: readonly Audience[] = ['shoal']): Promise<Session> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header) => {
          const key = header.kid ? await this.ring.verifyKeyFor(header.kid) : undefined;
          if (!key) throw new JWKSNoMatchingKey();
          return key;
        },
        { algorithms: ['HS256'], issuer: ISSUER, audience: [...audiences], requiredClaims: ['sub', 'jti', 'exp'] },
      ));
    } catch (err) {
      if (err instanceof ShoalError) throw err; // keys unavailable: a 503, not the client's fault
      throw unauthorized();
    }
    const jti = payload.jti!;
    const revoked = await this.fleet.auth.isRevoked(jti).catch((err: unknown) => {
      // Failing closed: a token we cannot check against the deny list is not accepted.
      throw new ShoalError('SHOAL_ERR_AUTH_UNAVAILABLE', 'cannot check the token right now (Redis unreachable): retry later', 503, { cause: err });
    });
    if (revoked) throw unauthorized();
    return { userId: payload.sub!, jti, expiresAt: payload.exp! * 1000, audience: payload.aud as Audience };
  }

  /** Puts the token's id on the deny list until it would have expired. */
  async revoke(s: Session): Promise<void> {
    await this.fleet.auth.revoke(s.jti, s.expiresAt - Date.now());
  }
}
