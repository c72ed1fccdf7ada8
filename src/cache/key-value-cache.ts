/**
 * A small expiring key-value cache (processed action ids, user score cache).
 * Implementations: `key-value-cache-memory.ts` and `key-value-cache-redis.ts`, both held to
 * `test/contracts/key-value-cache-contract.ts`. Values are strings; callers encode JSON themselves.
 */
export interface KeyValueCache {
  get(key: string): Promise<string | null>;
  /** Many keys at once (one round trip in Redis); null where absent. */
  getMany(keys: string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlSec: number): Promise<void>;
  /** Many `set`s with one expiry (one round trip in Redis). */
  setMany(entries: ReadonlyArray<{ key: string; value: string }>, ttlSec: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Many `delete`s (one round trip in Redis). */
  deleteMany(keys: readonly string[]): Promise<void>;
}

/** Redis `SET ... EX` takes a positive whole number of seconds; every implementation refuses the rest alike. */
export function assertTtlSec(ttlSec: number): void {
  if (!Number.isInteger(ttlSec) || ttlSec < 1) {
    throw new RangeError(`ttlSec must be a positive integer, got ${ttlSec}`);
  }
}
