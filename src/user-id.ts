/**
 * The one rule for user ids, everywhere (tokens, paths, SQL, rank indexes, the pages): whatever an
 * identity provider issues as `sub` (OpenID Connect allows up to 255 ASCII characters), limited to
 * printable ASCII (U+0020..U+007E) so that every store orders ids byte-wise the same way.
 */
export const USER_ID_MAX_LENGTH = 255;

export const USER_ID_PATTERN = /^[\x20-\x7e]{1,255}$/;

/** True for a well-formed user id. */
export function isUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_PATTERN.test(value);
}

/** What a refusal says about the rule. */
export const USER_ID_RULE = '1 to 255 printable ASCII characters';
