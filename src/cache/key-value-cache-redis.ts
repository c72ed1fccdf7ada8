import type { Redis } from 'ioredis';
import type { KeyValueCache } from './key-value-cache.js';

export interface RedisKeyValueCacheOptions {
  redis: Redis;
  /** Prepended to every key, e.g. `scoreboard:action:`. */
  keyPrefix: string;
}

/**
 * The Redis {@link KeyValueCache}: plain string keys with `EX` expiry, so entries vanish on their own and
 * the cache can be dropped and rebuilt at any time. Redis errors propagate; callers decide how to degrade.
 */
export class RedisKeyValueCache implements KeyValueCache {
  private readonly redis: Redis;
  private readonly keyPrefix: string;

  constructor(options: RedisKeyValueCacheOptions) {
    this.redis = options.redis;
    this.keyPrefix = options.keyPrefix;
  }

  async get(key: string): Promise<string | null> {
    return this.redis.get(this.keyPrefix + key);
  }

  async getMany(keys: string[]): Promise<(string | null)[]> {
    // MGET with no keys is a Redis error; an empty answer needs no round trip anyway.
    if (keys.length === 0) return [];
    return this.redis.mget(keys.map((key) => this.keyPrefix + key));
  }

  async set(key: string, value: string, ttlSec: number): Promise<void> {
    // Checked here so both implementations refuse the same input with the same error.
    if (!Number.isInteger(ttlSec) || ttlSec < 1) {
      throw new RangeError(`ttlSec must be a positive integer, got ${ttlSec}`);
    }
    await this.redis.set(this.keyPrefix + key, value, 'EX', ttlSec);
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.keyPrefix + key);
  }
}
