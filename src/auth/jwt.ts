import { createSigner, createVerifier } from 'fast-jwt';
import { compactVerify, errors as joseErrors } from 'jose';
import { AppError, unauthorized, type UnauthorizedReason } from '../errors.js';
import { DEFAULT_CLAIM_NAMES, principalFromClaims, type ClaimNames, type Principal } from './principal.js';
import type { Config } from '../config.js';
import { configuredKeys, KeysUnavailableError, type AsymmetricKeys } from './token-keys.js';

/**
 * A token's principal, or a 401 AppError whose `details.reason` says which check failed. HS256
 * tokens are answered synchronously (no await on the hot path); asymmetric ones need the key set,
 * so they answer a promise, which rejects with a 503 when the keys cannot be had.
 */
export type TokenVerifier = (token: string) => Principal | Promise<Principal>;

export interface TokenVerifierOptions extends TokenLifetimeOptions {
  /** HS256 secrets, the current one first (JWT_SECRET, then JWT_SECRET_PREVIOUS during a rotation). */
  hmacSecrets: readonly string[];
  /** RS256/ES256/EdDSA keys (JWT_JWKS_URL or JWT_PUBLIC_KEY_FILE), or null. */
  asymmetric: AsymmetricKeys | null;
  /** JWT_ISSUER: `iss` must equal it. */
  issuer?: string | null;
  /** JWT_AUDIENCE: `aud` must equal it or, as an array, contain it. */
  audience?: string | null;
  claims?: ClaimNames;
}

/**
 * Verifies tokens with the algorithm pinned per key: the header's `alg` only says which keys to try,
 * an HS256 token is checked against the HMAC secrets only and an RS256/ES256/EdDSA token against the
 * asymmetric keys only; `none` and every other algorithm are refused, and keys a header carries
 * (`jwk`, `jku`, `x5u`, `x5c`) are never used. Then one set of claim checks for every token:
 * `lifetimeRefusal`, issuer, audience, the user id.
 *
 * No cache of verified tokens: measured here, an HS256 verification costs ~8 µs, while the library's
 * cache costs ~20 µs per miss (hashing the token, evicting) and ~4.5 µs per hit, so it only pays above
 * a 75 % hit rate, which a game with more active players than cache entries never reaches.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const hmac = options.hmacSecrets.map((key) => createVerifier({ key, algorithms: ['HS256'], ignoreExpiration: true, ignoreNotBefore: true }));
  const asymmetric = options.asymmetric;
  const claimNames = options.claims ?? DEFAULT_CLAIM_NAMES;
  const now = options.now ?? Date.now;
  const headers = new HeaderCache();

  const accept = (claims: Record<string, unknown>): Principal => {
    const refusal = lifetimeRefusal(claims, now() / 1000, options) ?? audienceRefusal(claims, options);
    if (refusal) throw unauthorized(refusal.reason, refusal.message, refusal.claim ? { claim: refusal.claim } : {});
    return principalFromClaims(claims, claimNames);
  };

  const verifyHmac = (token: string): Principal => {
    if (hmac.length === 0) throw unauthorized('BAD_SIGNATURE', 'HS256 tokens are not accepted here');
    let claims: Record<string, unknown> | undefined;
    for (const verify of hmac) {
      try {
        claims = verify(token) as Record<string, unknown>;
        break;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== 'FAST_JWT_INVALID_SIGNATURE') throw signatureRefusal(fastJwtReason(code));
      }
    }
    if (!claims) throw signatureRefusal('BAD_SIGNATURE');
    return accept(claims);
  };

  const verifyAsymmetric = async (token: string, keys: AsymmetricKeys): Promise<Principal> => {
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(token, keys.keyFor, { algorithms: [...keys.algorithms] }));
    } catch (error) {
      if (error instanceof KeysUnavailableError) {
        throw new AppError('SERVICE_UNAVAILABLE', 'The keys to verify the token cannot be fetched now; try again shortly', { retryAfterSec: 5, cause: error });
      }
      if (error instanceof joseErrors.JWKSMultipleMatchingKeys) payload = await verifyWithEachKey(token, error, keys);
      else throw signatureRefusal(joseReason(error));
    }
    return accept(parsePayload(payload));
  };

  return (token: string) => {
    const header = headers.parse(token);
    if (header.alg === 'HS256') return verifyHmac(token);
    if (asymmetric && (asymmetric.algorithms as readonly string[]).includes(header.alg)) return verifyAsymmetric(token, asymmetric);
    throw unauthorized('BAD_SIGNATURE', 'The token\'s algorithm is not accepted');
  };
}

/** The verifier the configuration describes: JWT_SECRET (+ JWT_SECRET_PREVIOUS), the asymmetric keys, the checks and claims. */
export function tokenVerifierFor(config: Config): TokenVerifier {
  const { tokens } = config;
  return createTokenVerifier({
    hmacSecrets: [config.jwtSecret, config.jwtSecretPrevious].filter((secret): secret is string => Boolean(secret)),
    asymmetric: configuredKeys(tokens),
    issuer: tokens.issuer,
    audience: tokens.audience,
    claims: tokens.claims,
    maxAgeSec: config.jwtMaxAgeSec,
    clockToleranceSec: tokens.clockToleranceSec,
  });
}

/** A token without a `kid` when several keys fit its algorithm: the one that verifies it, if any. */
async function verifyWithEachKey(token: string, candidates: AsyncIterable<Parameters<typeof compactVerify>[1]>, keys: AsymmetricKeys): Promise<Uint8Array> {
  for await (const key of candidates) {
    try {
      return (await compactVerify(token, key, { algorithms: [...keys.algorithms] })).payload;
    } catch {
      // The next candidate.
    }
  }
  throw signatureRefusal('BAD_SIGNATURE');
}

function signatureRefusal(reason: 'BAD_SIGNATURE' | 'TOKEN_MALFORMED'): AppError {
  return unauthorized(reason, reason === 'TOKEN_MALFORMED' ? 'The token is malformed' : 'The token\'s signature does not verify');
}

function parsePayload(payload: Uint8Array): Record<string, unknown> {
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw unauthorized('TOKEN_MALFORMED', 'The token\'s payload is not JSON');
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw unauthorized('TOKEN_MALFORMED', 'The token\'s payload is not a JSON object');
  return claims as Record<string, unknown>;
}

function fastJwtReason(code: string | undefined): 'BAD_SIGNATURE' | 'TOKEN_MALFORMED' {
  return code === 'FAST_JWT_INVALID_ALGORITHM' || code === 'FAST_JWT_MISSING_SIGNATURE' ? 'BAD_SIGNATURE' : 'TOKEN_MALFORMED';
}

function joseReason(error: unknown): 'BAD_SIGNATURE' | 'TOKEN_MALFORMED' {
  const code = (error as { code?: string }).code;
  return code === 'ERR_JWS_INVALID' || code === 'ERR_JWT_INVALID' ? 'TOKEN_MALFORMED' : 'BAD_SIGNATURE';
}

interface TokenHeader {
  alg: string;
}

/**
 * Parsed headers by their encoded text: a service sees few distinct headers (one per key), so most
 * tokens skip the decoding. Bounded: emptied when full.
 */
class HeaderCache {
  private readonly parsed = new Map<string, TokenHeader>();

  parse(token: string): TokenHeader {
    const dot = token.indexOf('.');
    const parts = token.split('.', 4);
    if (dot <= 0 || parts.length !== 3) throw unauthorized('TOKEN_MALFORMED', 'The token is not a JWT (header.payload.signature)');
    const encoded = parts[0]!;
    const cached = this.parsed.get(encoded);
    if (cached) return cached;
    let header: unknown;
    try {
      header = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    } catch {
      throw unauthorized('TOKEN_MALFORMED', 'The token\'s header is not JSON');
    }
    if (header === null || typeof header !== 'object' || typeof (header as { alg?: unknown }).alg !== 'string') {
      throw unauthorized('TOKEN_MALFORMED', 'The token\'s header has no alg');
    }
    const result = { alg: (header as { alg: string }).alg };
    if (this.parsed.size >= HEADER_CACHE_SIZE) this.parsed.clear();
    this.parsed.set(encoded, result);
    return result;
  }
}

const HEADER_CACHE_SIZE = 64;

export interface TokenLifetimeOptions {
  /** Longest lifetime accepted: `exp` - `iat` (or `exp` - now without `iat`), JWT_MAX_AGE. */
  maxAgeSec: number;
  /** Clock difference allowed between the issuer and this server, JWT_CLOCK_TOLERANCE_SEC. */
  clockToleranceSec: number;
  now?: () => number;
}

/** Why a verified token is refused: the 401's `details.reason`, a message, and the claim for MISSING_CLAIM. */
export interface TokenRefusal {
  reason: UnauthorizedReason;
  message: string;
  claim?: string;
}

/**
 * Why a verified token's times are refused, or null: `exp` must be a finite number (JSON's 1e400 is
 * Infinity), `iat` and `nbf` too when present, neither `iat` nor `nbf` may be in the future beyond the
 * clock tolerance, `exp` not in the past beyond it, and the lifetime may not exceed `maxAgeSec`, so
 * that a leaked token cannot live forever (refused as TOKEN_EXPIRED: it outlived what is accepted).
 */
export function lifetimeRefusal(claims: Record<string, unknown>, nowSec: number, options: Omit<TokenLifetimeOptions, 'now'>): TokenRefusal | null {
  const { exp, iat, nbf } = claims;
  const tolerance = options.clockToleranceSec;
  if (exp === undefined || exp === null) return { reason: 'MISSING_CLAIM', message: 'The token has no exp claim', claim: 'exp' };
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return { reason: 'TOKEN_MALFORMED', message: 'The token\'s exp must be a finite time' };
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) return { reason: 'TOKEN_MALFORMED', message: 'The token\'s iat must be a finite time' };
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) return { reason: 'TOKEN_MALFORMED', message: 'The token\'s nbf must be a finite time' };
  if (exp + tolerance <= nowSec) return { reason: 'TOKEN_EXPIRED', message: 'The token has expired' };
  if (typeof iat === 'number' && iat > nowSec + tolerance) return { reason: 'TOKEN_NOT_YET_VALID', message: 'The token was issued in the future (iat)' };
  if (typeof nbf === 'number' && nbf > nowSec + tolerance) return { reason: 'TOKEN_NOT_YET_VALID', message: 'The token is not valid yet (nbf)' };
  const from = typeof iat === 'number' ? iat : nowSec;
  if (exp - from > options.maxAgeSec + tolerance) {
    return { reason: 'TOKEN_EXPIRED', message: `The token lives longer than the ${options.maxAgeSec} s this service accepts (JWT_MAX_AGE)` };
  }
  return null;
}

/** WRONG_ISSUER / WRONG_AUDIENCE when JWT_ISSUER / JWT_AUDIENCE are set and the token does not match; the expected values are never told. */
function audienceRefusal(claims: Record<string, unknown>, options: Pick<TokenVerifierOptions, 'issuer' | 'audience'>): TokenRefusal | null {
  if (options.issuer && claims.iss !== options.issuer) {
    return claims.iss === undefined
      ? { reason: 'MISSING_CLAIM', message: 'The token has no iss claim', claim: 'iss' }
      : { reason: 'WRONG_ISSUER', message: 'The token\'s issuer (iss) is not accepted' };
  }
  if (options.audience) {
    const { aud } = claims;
    if (aud === undefined) return { reason: 'MISSING_CLAIM', message: 'The token has no aud claim', claim: 'aud' };
    const matches = typeof aud === 'string' ? aud === options.audience : Array.isArray(aud) && aud.includes(options.audience);
    if (!matches) return { reason: 'WRONG_AUDIENCE', message: 'The token\'s audience (aud) is not accepted' };
  }
  return null;
}

export interface TokenClaims {
  userId: string;
  username?: string;
  email?: string;
  role?: string;
}

/**
 * Signs HS256 tokens with an expiry (`24h`, `15m`, or seconds as a number), and the issuer and
 * audience this service checks (JWT_ISSUER, JWT_AUDIENCE) when they are set.
 */
export function createTokenSigner(
  secret: string,
  defaultExpiry: string,
  options: { issuer?: string | null; audience?: string | null } = {},
): (claims: TokenClaims, expiry?: string) => string {
  const checked = { ...(options.issuer ? { iss: options.issuer } : {}), ...(options.audience ? { aud: options.audience } : {}) };
  return (claims, expiry = defaultExpiry) => {
    const sign = createSigner({ key: secret, algorithm: 'HS256', expiresIn: /^\d+$/.test(expiry) ? Number(expiry) * 1000 : expiry, ...checked });
    return sign({ ...claims, sub: claims.userId });
  };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9\-_.]+)\s*$/i.exec(header);
  return match?.[1];
}
