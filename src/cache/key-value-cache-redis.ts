import type { Redis } from 'ioredis';
import { assertTtlSec, type KeyValueCache } from './key-value-cache.js';

/** KEYS the keys; ARGV their values, then the expiry in seconds. */
const SET_MANY_LUA = `
local ttl = ARGV[#KEYS + 1]
for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i], 'EX', ttl) end
return #KEYS
`;

type SetManyCommand = (numKeys: number, ...args: string[]) => Promise<number>;

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
    if (!('scoreboardSetMany' in this.redis)) this.redis.defineCommand('scoreboardSetMany', { lua: SET_MANY_LUA });
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
    assertTtlSec(ttlSec);
    await this.redis.set(this.keyPrefix + key, value, 'EX', ttlSec);
  }

  /**
   * One script call for every entry (one command instead of one per key). The keys are passed as
   * KEYS, so on a Redis Cluster they would have to share a slot; the service uses one Redis.
   */
  async setMany(entries: ReadonlyArray<{ key: string; value: string }>, ttlSec: number): Promise<void> {
    assertTtlSec(ttlSec);
    if (entries.length === 0) return;
    const setMany = (this.redis as unknown as { scoreboardSetMany: SetManyCommand }).scoreboardSetMany;
    await setMany.call(
      this.redis,
      entries.length,
      ...entries.map(({ key }) => this.keyPrefix + key),
      ...entries.map(({ value }) => value),
      String(ttlSec),
    );
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.keyPrefix + key);
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.redis.del(...keys.map((key) => this.keyPrefix + key));
  }
}
