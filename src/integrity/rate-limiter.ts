/** The outcome of counting one attempt against a limit. */
export interface RateLimitResult {
  allowed: boolean;
  /** Attempts left in the current window (0 when refused). */
  remaining: number;
  /** Milliseconds until the window frees a slot; 0 when allowed. */
  retryAfterMs: number;
}

/**
 * Fixed-window counters: every call counts one attempt against `key`, allowed or not.
 * Implementations: rate-limiter-flexible's memory limiter (`rate-limiter-memory.ts`), and its Redis
 * counting batched per event-loop turn (`rate-limiter-redis.ts`); both held to
 * `test/contracts/rate-limiter-contract.ts`. The Redis one shares counts between every instance on
 * the same Redis.
 */
export interface RateLimiter {
  /** Counts one attempt for `key` and says whether it is within `points` per window. */
  consume(key: string): Promise<RateLimitResult>;
  /** Forgets the counts of `key` (tests, an admin reset). */
  reset(key: string): Promise<void>;
}

export interface RateLimiterOptions {
  /** Attempts allowed per window. */
  points: number;
  windowMs: number;
  /** Distinguishes limiters that share a store, e.g. `rl:user:`. */
  keyPrefix: string;
}
