import { AppError } from '../errors.js';
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

/** Reads a principal from verified claims; a token without a usable `userId`/`sub` is refused. */
export function principalFromClaims(claims: Record<string, unknown>): Principal {
  const rawId = claims.userId ?? claims.sub;
  const userId = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : rawId;
  if (!isUserId(userId)) {
    throw new AppError('UNAUTHORIZED', 'The token has no valid userId or sub claim');
  }
  const roles: string[] = [];
  if (typeof claims.role === 'string') roles.push(claims.role);
  if (Array.isArray(claims.roles)) roles.push(...claims.roles.filter((role): role is string => typeof role === 'string'));
  return {
    userId,
    username: cleanText(claims.username ?? claims.name, USERNAME_MAX_LENGTH),
    email: cleanText(claims.email, EMAIL_MAX_LENGTH),
    roles,
    isAdmin: roles.includes('admin'),
  };
}
