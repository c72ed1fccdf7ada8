import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimiter, RateLimiterOptions } from '../../src/integrity/rate-limiter.js';

export interface RateLimiterHarness {
  limiter: RateLimiter;
  cleanup: () => Promise<void>;
}

/**
 * The behaviour every {@link RateLimiter} must show. Each case builds its limiter through `factory`
 * with the settings it needs. `options.skip` (a reason) skips the suite.
 */
export function rateLimiterContract(
  name: string,
  factory: (options: RateLimiterOptions) => Promise<RateLimiterHarness>,
  options: { skip?: string | false } = {},
): void {
  async function withLimiter(settings: RateLimiterOptions, run: (limiter: RateLimiter) => Promise<void>): Promise<void> {
    const harness = await factory(settings);
    try {
      await run(harness.limiter);
    } finally {
      await harness.cleanup();
    }
  }

  describe(`RateLimiter contract: ${name}`, { skip: options.skip ?? false }, () => {
    it('allows `points` attempts with decreasing `remaining`, then refuses with a retry delay within the window', () =>
      withLimiter({ points: 3, windowMs: 60_000, keyPrefix: 'rl:user:' }, async (limiter) => {
        for (const remaining of [2, 1, 0]) {
          assert.deepEqual(await limiter.consume('u1'), { allowed: true, remaining, retryAfterMs: 0 });
        }
        const refused = await limiter.consume('u1');
        assert.equal(refused.allowed, false);
        assert.equal(refused.remaining, 0);
        assert.ok(refused.retryAfterMs > 0, `retryAfterMs ${refused.retryAfterMs} should be > 0`);
        assert.ok(refused.retryAfterMs <= 60_000, `retryAfterMs ${refused.retryAfterMs} should be <= windowMs`);
      }));

    it('counts each key on its own', () =>
      withLimiter({ points: 2, windowMs: 60_000, keyPrefix: 'rl:user:' }, async (limiter) => {
        await limiter.consume('a');
        await limiter.consume('a');
        assert.equal((await limiter.consume('a')).allowed, false);
        assert.deepEqual(await limiter.consume('b'), { allowed: true, remaining: 1, retryAfterMs: 0 });
      }));

    it('counts refused attempts too, without extending the window', () =>
      withLimiter({ points: 2, windowMs: 60_000, keyPrefix: 'rl:user:' }, async (limiter) => {
        await limiter.consume('u1');
        await limiter.consume('u1');
        let previous = Number.POSITIVE_INFINITY;
        for (let attempt = 0; attempt < 10; attempt++) {
          const result = await limiter.consume('u1');
          assert.equal(result.allowed, false, `attempt ${attempt + 3} should be refused`);
          assert.equal(result.remaining, 0);
          // A fixed window: hammering does not push the reset further away.
          assert.ok(result.retryAfterMs <= previous, `retryAfterMs grew from ${previous} to ${result.retryAfterMs}`);
          previous = result.retryAfterMs;
        }
      }));

    it('allows again once the window has passed', () =>
      withLimiter({ points: 2, windowMs: 1000, keyPrefix: 'rl:user:' }, async (limiter) => {
        await limiter.consume('u1');
        await limiter.consume('u1');
        const refused = await limiter.consume('u1');
        assert.equal(refused.allowed, false);
        assert.ok(refused.retryAfterMs <= 1000);
        await sleep(1100);
        assert.deepEqual(await limiter.consume('u1'), { allowed: true, remaining: 1, retryAfterMs: 0 });
      }));

    it('reset(key) forgets that key only', () =>
      withLimiter({ points: 1, windowMs: 60_000, keyPrefix: 'rl:user:' }, async (limiter) => {
        await limiter.consume('a');
        await limiter.consume('b');
        assert.equal((await limiter.consume('a')).allowed, false);
        await limiter.reset('a');
        await limiter.reset('never-seen');
        assert.deepEqual(await limiter.consume('a'), { allowed: true, remaining: 0, retryAfterMs: 0 });
        assert.equal((await limiter.consume('b')).allowed, false);
      }));

    it('allows exactly `points` of 200 concurrent attempts on one key', () =>
      withLimiter({ points: 50, windowMs: 60_000, keyPrefix: 'rl:user:' }, async (limiter) => {
        const results = await Promise.all(Array.from({ length: 200 }, () => limiter.consume('hot')));
        const allowed = results.filter((result) => result.allowed);
        assert.equal(allowed.length, 50);
        // Each allowed attempt saw a distinct count: no two read the same counter value.
        assert.deepEqual(
          allowed.map((result) => result.remaining).sort((a, b) => a - b),
          Array.from({ length: 50 }, (_, i) => i),
        );
        assert.ok(results.filter((result) => !result.allowed).every((result) => result.retryAfterMs > 0));
      }));
  });
}
