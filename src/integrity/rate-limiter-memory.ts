import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiter, RateLimiterOptions, RateLimitResult } from './rate-limiter.js';

/**
 * The in-process {@link RateLimiter} (embedded mode): counts live in this process only.
 * rate-limiter-flexible's memory store takes fractional seconds (it multiplies back to milliseconds),
 * so `windowMs` is used exactly; expired counters are dropped by the library's own timers.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly limiter: RateLimiterMemory;
  private readonly keyPrefix: string;

  constructor(options: RateLimiterOptions) {
    assertRateLimiterOptions(options);
    this.keyPrefix = options.keyPrefix;
    // The library's own prefix would add a ':' separator; the full key is built here instead.
    this.limiter = new RateLimiterMemory({ points: options.points, duration: options.windowMs / 1000, keyPrefix: '' });
  }

  async consume(key: string): Promise<RateLimitResult> {
    try {
      return allowedResult(await this.limiter.consume(this.keyPrefix + key));
    } catch (rejection) {
      // The memory store only ever rejects with a RateLimiterRes; anything else is a bug worth surfacing.
      if (rejection instanceof RateLimiterRes) return refusedResult(rejection);
      throw rejection;
    }
  }

  async reset(key: string): Promise<void> {
    await this.limiter.delete(this.keyPrefix + key);
  }
}

/** Rejects settings the library would accept but that make no sense for a limit (0 = never expires). */
export function assertRateLimiterOptions(options: RateLimiterOptions): void {
  if (!Number.isInteger(options.points) || options.points < 1) {
    throw new RangeError(`points must be a positive integer, got ${options.points}`);
  }
  if (!Number.isFinite(options.windowMs) || options.windowMs <= 0) {
    throw new RangeError(`windowMs must be a positive number of milliseconds, got ${options.windowMs}`);
  }
}

/** Maps a resolved consume (within the limit). Shared with `rate-limiter-redis.ts`. */
export function allowedResult(res: RateLimiterRes): RateLimitResult {
  return { allowed: true, remaining: res.remainingPoints, retryAfterMs: 0 };
}

/**
 * Maps a `RateLimiterRes` rejection (over the limit). Shared with `rate-limiter-redis.ts`.
 * At least 1 ms: a refusal always tells the client to wait, even at the very edge of the window.
 */
export function refusedResult(res: RateLimiterRes): RateLimitResult {
  return { allowed: false, remaining: 0, retryAfterMs: Math.max(1, Math.ceil(res.msBeforeNext)) };
}
