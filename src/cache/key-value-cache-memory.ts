import { assertTtlSec, type KeyValueCache } from './key-value-cache.js';

interface Entry {
  value: string;
  expiresAtMs: number;
}

/** Entries inspected for expiry on each write: enough to outpace insertions, small enough to stay O(1). */
const SWEEP_BATCH = 32;

export interface MemoryKeyValueCacheOptions {
  /** Entries held before the least recently written or read ones are evicted. @default 100000 */
  maxEntries?: number;
  /** Clock in milliseconds since the epoch; injected by tests. @default Date.now */
  now?: () => number;
}

/**
 * The in-process {@link KeyValueCache} (embedded mode, and the fallback while Redis is down).
 * A Map's insertion order doubles as the recency order: every write or hit re-inserts its key at the end,
 * so the first keys are the least recently used and are evicted first.
 */
export class MemoryKeyValueCache implements KeyValueCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Where the incremental sweep resumes; a live Map iterator survives deletions and insertions. */
  private sweepCursor: Iterator<[string, Entry]> | undefined;

  constructor(options: MemoryKeyValueCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.maxEntries = maxEntries;
    this.now = options.now ?? Date.now;
  }

  /** Entries held, including expired ones that neither a read nor the sweep has reclaimed yet. */
  get size(): number {
    return this.entries.size;
  }

  async get(key: string): Promise<string | null> {
    return this.read(key);
  }

  async getMany(keys: string[]): Promise<(string | null)[]> {
    return keys.map((key) => this.read(key));
  }

  async set(key: string, value: string, ttlSec: number): Promise<void> {
    assertTtlSec(ttlSec);
    // Delete first so that an overwrite moves the key to the most recent end.
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAtMs: this.now() + ttlSec * 1000 });
    this.sweep();
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  async setMany(entries: ReadonlyArray<{ key: string; value: string }>, ttlSec: number): Promise<void> {
    assertTtlSec(ttlSec);
    for (const { key, value } of entries) await this.set(key, value, ttlSec);
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  private read(key: string): string | null {
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    this.entries.delete(key);
    if (entry.expiresAtMs <= this.now()) return null;
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * Reclaims expired entries a few at a time, resuming where the last sweep stopped, so keys that are
   * written once and never read again do not stay until eviction pushes them out.
   */
  private sweep(): void {
    const now = this.now();
    for (let inspected = 0; inspected < SWEEP_BATCH; inspected++) {
      this.sweepCursor ??= this.entries.entries();
      const next = this.sweepCursor.next();
      if (next.done) {
        // Start over on the next write rather than now, so a small map is not scanned twice in one call.
        this.sweepCursor = undefined;
        return;
      }
      const [key, entry] = next.value;
      if (entry.expiresAtMs <= now) this.entries.delete(key);
    }
  }
}
