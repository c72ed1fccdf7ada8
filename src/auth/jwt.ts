import { createSigner, createVerifier } from 'fast-jwt';
import { AppError } from '../errors.js';
import { principalFromClaims, type Principal } from './principal.js';

export type TokenVerifier = (token: string) => Principal;

/**
 * Verifies HS256 tokens only (no `none`, no other algorithm), requires `exp`, and caches
 * verified tokens so that a client's repeated requests cost one HMAC, not one each.
 */
export function createTokenVerifier(secret: string): TokenVerifier {
  const verify = createVerifier({
    key: secret,
    algorithms: ['HS256'],
    requiredClaims: ['exp'],
    cache: 10_000,
    errorCacheTTL: 0,
  });
  return (token: string) => {
    let claims: Record<string, unknown>;
    try {
      claims = verify(token) as Record<string, unknown>;
    } catch (error) {
      const code = (error as { code?: string }).code;
      const message = code === 'FAST_JWT_EXPIRED' ? 'The token has expired' : 'The token is invalid';
      throw new AppError('UNAUTHORIZED', message);
    }
    return principalFromClaims(claims);
  };
}

export interface TokenClaims {
  userId: string;
  username?: string;
  email?: string;
  role?: string;
}

/** Signs HS256 tokens with an expiry (`24h`, `15m`, or seconds as a number). */
export function createTokenSigner(secret: string, defaultExpiry: string): (claims: TokenClaims, expiry?: string) => string {
  return (claims, expiry = defaultExpiry) => {
    const sign = createSigner({ key: secret, algorithm: 'HS256', expiresIn: /^\d+$/.test(expiry) ? Number(expiry) * 1000 : expiry });
    return sign({ ...claims, sub: claims.userId });
  };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9\-_.]+)\s*$/i.exec(header);
  return match?.[1];
}
