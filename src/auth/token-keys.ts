import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, customFetch, type CompactVerifyGetKey } from 'jose';
import type { TokenConfig } from '../config.js';

/** The asymmetric algorithms accepted; HS256 is verified apart, against the HMAC secrets only. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];


/** Where asymmetric tokens are verified: the algorithms accepted and the key for a header. */
export interface AsymmetricKeys {
  algorithms: readonly AsymmetricAlgorithm[];
  /** A token's public key, chosen by its header among the keys configured; never a key the header carries. */
  keyFor: CompactVerifyGetKey;
}

/** The keys could not be had (the JWKS unreachable or unreadable and none cached): not the token's fault. */
export class KeysUnavailableError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'KeysUnavailableError';
  }
}

/**
 * The algorithm of a PEM public key, from its type (RSA: RS256, EC P-256: ES256, Ed25519: EdDSA),
 * or a problem naming what the key is.
 */
export function publicKeyAlgorithm(pem: string): { algorithm: AsymmetricAlgorithm; key: KeyObject } | { problem: string } {
  // createPublicKey would take a private key too (and derive its public half): a private key has no place here.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return { problem: 'must hold a public key, not a private one' };
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return { problem: 'is not a PEM public key' };
  }
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return { algorithm: 'RS256', key };
  if (type === 'ed25519') return { algorithm: 'EdDSA', key };
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { algorithm: 'ES256', key };
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return { problem: `holds a ${type}${curve ? ` (${curve})` : ''} key; RSA (RS256), EC P-256 (ES256) or Ed25519 (EdDSA) are accepted` };
}

/** One public key read from a PEM file: tokens of its own algorithm only. */
export function pemKeys(pem: string): AsymmetricKeys {
  const read = publicKeyAlgorithm(pem);
  if ('problem' in read) throw new Error(`The public key ${read.problem}`);
  return { algorithms: [read.algorithm], keyFor: async () => read.key };
}

/** The asymmetric keys the configuration names (JWT_JWKS_URL or JWT_PUBLIC_KEY_FILE), or null. */
export function configuredKeys(tokens: TokenConfig): AsymmetricKeys | null {
  if (tokens.jwksUrl) return remoteKeys(new URL(tokens.jwksUrl));
  if (tokens.publicKey) return pemKeys(tokens.publicKey.pem);
  return null;
}

export interface RemoteKeysOptions {
  /** Shortest time between two fetches for a `kid` the cached document lacks. @default 30_000 */
  cooldownMs?: number;
  /** How long a document is kept when its response has no Cache-Control max-age. @default 600_000 */
  defaultCacheMs?: number;
  /** Bounds of the cache time read from max-age, so that `max-age=0` cannot turn every token into a fetch. */
  minCacheMs?: number;
  maxCacheMs?: number;
  /** Of one fetch. @default 5000 */
  timeoutMs?: number;
}

/** `max-age` of a Cache-Control header in milliseconds, or undefined (absent, or `no-store`/`no-cache`: no time given). */
export function cacheControlMaxAgeMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/i.exec(header);
  return match ? Number(match[1]) * 1000 : undefined;
}

/**
 * The keys of a JWKS document (jose's remote key set): fetched on first use, fetched again for an
 * unknown `kid` at most once per `cooldownMs`, and kept as long as the response's Cache-Control
 * max-age says (jose takes only a fixed cache time, so the fetch reads the header and this refreshes
 * the set when that time has passed). When a refresh fails, the keys already fetched stay in use and
 * the next try waits a cooldown; with none fetched yet, a token meets KeysUnavailableError.
 */
export function remoteKeys(url: URL, options: RemoteKeysOptions = {}): AsymmetricKeys {
  const cooldownMs = options.cooldownMs ?? 30_000;
  const defaultCacheMs = options.defaultCacheMs ?? 600_000;
  const minCacheMs = options.minCacheMs ?? 30_000;
  const maxCacheMs = options.maxCacheMs ?? 86_400_000;
  let expiresAt = 0;
  const fetchDocument: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (response.status === 200) {
      const maxAgeMs = cacheControlMaxAgeMs(response.headers.get('cache-control'));
      const cacheMs = maxAgeMs === undefined ? defaultCacheMs : Math.min(maxCacheMs, Math.max(minCacheMs, maxAgeMs));
      expiresAt = Date.now() + cacheMs;
    }
    return response;
  };
  const set = createRemoteJWKSet(url, {
    cooldownDuration: cooldownMs,
    cacheMaxAge: Infinity,
    timeoutDuration: options.timeoutMs ?? 5000,
    [customFetch]: fetchDocument,
  });
  const unavailable = (cause: unknown) => new KeysUnavailableError('The identity provider\'s keys (JWT_JWKS_URL) could not be fetched', { cause });
  return {
    algorithms: ASYMMETRIC_ALGORITHMS,
    async keyFor(header, token) {
      if (Date.now() >= expiresAt) {
        try {
          await set.reload();
        } catch (error) {
          // Keep what was fetched; with nothing yet, try again at the next token after a second.
          expiresAt = Date.now() + (set.jwks() === undefined ? NO_KEYS_RETRY_MS : cooldownMs);
          if (set.jwks() === undefined) throw unavailable(error);
        }
      } else if (set.jwks() === undefined) {
        throw unavailable(undefined);
      }
      try {
        return await set(header, token);
      } catch (error) {
        if (TOKEN_ERRORS.has((error as { code?: string }).code ?? '')) throw error;
        throw unavailable(error);
      }
    },
  };
}

/** With no keys fetched yet, a failed fetch is retried at the first token after this. */
const NO_KEYS_RETRY_MS = 1000;

/** Errors of the key set that are the token's doing (no key for its kid or alg); the others are the document's. */
const TOKEN_ERRORS = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_NOT_SUPPORTED']);
