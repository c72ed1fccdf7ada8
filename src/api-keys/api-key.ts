import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a key may do: submit scores for players as the game server, or everything an admin may. */
export const API_KEY_SCOPES = ['scores:write', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const API_KEY_NAME_MAX_LENGTH = 100;

/** Random bytes of a key's secret part: 256 bits, so a stored SHA-256 (no salt, no stretching) is enough. */
const SECRET_BYTES = 32;
const ID_BYTES = 8;

/** `sbk_<id: 16 hex>_<secret: 43 base64url>`; the id locates the key, the secret proves it. */
const KEY_PATTERN = /^sbk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A key as the service keeps it: never the key itself. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  /** SHA-256 of the whole key, hex. */
  keyHash: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A key once verified: who is calling. */
export interface VerifiedApiKey {
  id: string;
  name: string;
  scopes: readonly ApiKeyScope[];
}

/** A new key: its id, the key shown once, and the hash that is stored. */
export function generateApiKey(): { id: string; key: string; keyHash: string } {
  const id = randomBytes(ID_BYTES).toString('hex');
  const key = `sbk_${id}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
  return { id, key, keyHash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The id a well-formed key names, or null. */
export function apiKeyId(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

/** True when `key` hashes to `keyHash`, compared in constant time. */
export function matchesHash(key: string, keyHash: string): boolean {
  const expected = Buffer.from(keyHash, 'hex');
  const actual = createHash('sha256').update(key).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The key of an `Authorization: ApiKey <key>` header; undefined when the header is another scheme. */
export function apiKeyOfHeader(header: string | undefined): string | undefined {
  if (!header || !/^ApiKey\s/i.test(header)) return undefined;
  return header.replace(/^ApiKey\s+/i, '').trim();
}

/** The scopes as stored: distinct, in catalogue order. */
export function normalizeScopes(scopes: readonly ApiKeyScope[]): ApiKeyScope[] {
  return API_KEY_SCOPES.filter((scope) => scopes.includes(scope));
}

/** Whether a key last marked used at `lastWrittenMs` should be marked again now (at most once a minute). */
export function dueForLastUsed(lastWrittenMs: number | undefined, nowMs: number, intervalMs = LAST_USED_INTERVAL_MS): boolean {
  return lastWrittenMs === undefined || nowMs - lastWrittenMs >= intervalMs;
}

export const LAST_USED_INTERVAL_MS = 60_000;
