import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiter, RateLimiterOptions, RateLimitResult } from './rate-limiter.js';
import { allowedResult, assertRateLimiterOptions, refusedResult } from './rate-limiter-memory.js';

export interface RedisRateLimiterOptions extends RateLimiterOptions {
  /**
   * The client to count with. Create it so that commands fail fast while Redis is down
   * (`maxRetriesPerRequest` small, `commandTimeout` set): a connected-but-silent Redis is only
   * detected by the client's own timeout.
   */
  redis: Redis;
  /** The deployment's Redis prefix (`REDIS_KEY_PREFIX`, e.g. `scoreboard:`), placed before `keyPrefix`. */
  redisKeyPrefix: string;
}

/**
 * The Redis {@link RateLimiter}: one atomic counter per key and window (rate-limiter-flexible's Lua
 * `SET NX EX` + `INCRBY`), so every server instance on the same Redis shares the counts.
 *
 * Redis counts in whole seconds (the library floors `duration`, and a window under 1 s would never
 * expire), so `windowMs` is rounded up to whole seconds: 1500 ms counts over 2 s. That errs strict.
 *
 * While Redis is unreachable, attempts are counted by an in-process insurance limiter with the same
 * settings: limits keep holding per instance and `consume` never rejects because of Redis.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly limiter: RateLimiterRedis;
  private readonly insurance: RateLimiterMemory;
  private readonly keyPrefix: string;

  constructor(options: RedisRateLimiterOptions) {
    assertRateLimiterOptions(options);
    this.redis = options.redis;
    this.keyPrefix = `${options.redisKeyPrefix}${options.keyPrefix}`;
    const settings = { points: options.points, duration: Math.ceil(options.windowMs / 1000), keyPrefix: '' };
    this.insurance = new RateLimiterMemory(settings);
    this.limiter = new RateLimiterRedis({
      ...settings,
      storeClient: options.redis,
      useRedisPackage: false,
      insuranceLimiter: this.insurance,
      // Go to the insurance at once while the client is not connected, instead of waiting on
      // ioredis's offline queue (which, with default options, holds a command through 20 reconnects).
      rejectIfRedisNotReady: true,
    });
  }

  async consume(key: string): Promise<RateLimitResult> {
    try {
      return allowedResult(await this.limiter.consume(this.keyPrefix + key));
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return refusedResult(rejection);
      // An Error here means Redis failed and the insurance failed too. A broken limiter must not
      // take the write path down with it, so the attempt is let through; what is left is unknown, and
      // claiming none keeps well-behaved clients from speeding up.
      return { allowed: true, remaining: 0, retryAfterMs: 0 };
    }
  }

  /**
   * Forgets `key` in Redis and in the insurance. While Redis is unreachable only the in-process count is
   * cleared (the library's fallback); the Redis count then lapses at the end of its window.
   */
  async reset(key: string): Promise<void> {
    const fullKey = this.keyPrefix + key;
    // Skipped when not connected: ioredis could otherwise hold the DEL in its offline queue.
    if (this.redis.status === 'ready') await this.limiter.delete(fullKey);
    await this.insurance.delete(fullKey);
  }
}
