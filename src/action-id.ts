/**
 * Action ids are UUIDs in their canonical text form only (8-4-4-4-12 hex digits, either case): the
 * one form every store reads the same way. The `uuid` format of JSON Schema validators also takes
 * `urn:uuid:…` and braces, which PostgreSQL's uuid type then refuses.
 */
export const ACTION_ID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isActionId(value: unknown): value is string {
  return typeof value === 'string' && ACTION_ID_PATTERN.test(value);
}

/** The JSON Schema keywords of an action id (a pattern, not the permissive `uuid` format). */
export const ACTION_ID_SCHEMA = {
  pattern: ACTION_ID_PATTERN.source,
  minLength: 36,
  maxLength: 36,
  description: 'A UUID in canonical form (8-4-4-4-12 hex digits), unique per action: a replay of it is refused (409)',
} as const;
