import { unauthorized } from '../errors.js';
import { isUserId } from '../user-id.js';

/** Who is calling, as their verified token says. */
export interface Principal {
  userId: string;
  username: string | null;
  email: string | null;
  roles: readonly string[];
  isAdmin: boolean;
}

const USERNAME_MAX_LENGTH = 64;
const EMAIL_MAX_LENGTH = 254;

/**
 * What never belongs in a display name: control characters (C0, DEL, C1), format characters
 * (category Cf: bidi overrides and isolates such as U+202E, zero-width spaces and joiners, the BOM),
 * which make a name render reversed or run into the text beside it, lone surrogates (not text at
 * all), and line or paragraph separators.
 */
const UNDISPLAYABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

/** A display name or e-mail as stored and shown: undisplayable characters stripped, trimmed, bounded. */
export function cleanText(value: unknown, maxLength: number): string | null {
  if (typeof value !== 'string') return null;
  // Slicing by code points keeps a surrogate pair whole at the cut.
  const cleaned = [...value.replace(UNDISPLAYABLE, '').trim()].slice(0, maxLength).join('').trim();
  return cleaned === '' ? null : cleaned;
}

/** Which claims carry what: each list is tried in order, the first claim present wins. */
export interface ClaimNames {
  /** JWT_USER_ID_CLAIM. @default ['userId', 'sub'] */
  userId: readonly string[];
  /** JWT_USERNAME_CLAIM. @default ['username', 'name'] */
  username: readonly string[];
  /** JWT_ADMIN_CLAIM: claims whose string value, or array, names the roles. @default ['role', 'roles'] */
  roles: readonly string[];
}

export const DEFAULT_CLAIM_NAMES: ClaimNames = Object.freeze({
  userId: ['userId', 'sub'],
  username: ['username', 'name'],
  roles: ['role', 'roles'],
});

/**
 * A claim's value: the claim of that exact name, else, for a dotted name, the path through nested
 * objects (`realm_access.roles`). Exact names first, since namespaced claims
 * (`https://studio.example/roles`) hold dots too.
 */
export function claimValue(claims: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  if (!name.includes('.')) return undefined;
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function firstClaim(claims: Record<string, unknown>, names: readonly string[]): unknown {
  for (const name of names) {
    const value = claimValue(claims, name);
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

/** Reads a principal from verified claims; a token without a usable user id is refused (MISSING_CLAIM). */
export function principalFromClaims(claims: Record<string, unknown>, names: ClaimNames = DEFAULT_CLAIM_NAMES): Principal {
  const rawId = firstClaim(claims, names.userId);
  const userId = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : rawId;
  if (!isUserId(userId)) {
    const claim = names.userId.join(' or ');
    throw unauthorized('MISSING_CLAIM', `The token has no valid ${claim} claim`, { claim });
  }
  const roles: string[] = [];
  for (const name of names.roles) {
    const value = claimValue(claims, name);
    if (typeof value === 'string') roles.push(value);
    else if (Array.isArray(value)) roles.push(...value.filter((role): role is string => typeof role === 'string'));
  }
  return {
    userId,
    username: cleanText(firstClaim(claims, names.username), USERNAME_MAX_LENGTH),
    email: cleanText(claims.email, EMAIL_MAX_LENGTH),
    roles,
    isAdmin: roles.includes('admin'),
  };
}
