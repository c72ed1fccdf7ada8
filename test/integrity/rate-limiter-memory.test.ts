import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryRateLimiter } from '../../src/integrity/rate-limiter-memory.js';
import { rateLimiterContract } from '../contracts/rate-limiter-contract.js';

rateLimiterContract('memory', async (options) => ({ limiter: new MemoryRateLimiter(options), cleanup: async () => {} }));

describe('MemoryRateLimiter', () => {
  it('honours a window that is not a whole number of seconds', async () => {
    const limiter = new MemoryRateLimiter({ points: 1, windowMs: 300, keyPrefix: 'rl:' });
    await limiter.consume('u1');
    const refused = await limiter.consume('u1');
    assert.equal(refused.allowed, false);
    assert.ok(refused.retryAfterMs <= 300, `retryAfterMs ${refused.retryAfterMs}`);
    await sleep(350);
    assert.equal((await limiter.consume('u1')).allowed, true);
  });

  it('refuses settings that cannot limit anything', () => {
    assert.throws(() => new MemoryRateLimiter({ points: 0, windowMs: 1000, keyPrefix: 'rl:' }), RangeError);
    assert.throws(() => new MemoryRateLimiter({ points: 1.5, windowMs: 1000, keyPrefix: 'rl:' }), RangeError);
    assert.throws(() => new MemoryRateLimiter({ points: 1, windowMs: 0, keyPrefix: 'rl:' }), RangeError);
    assert.throws(() => new MemoryRateLimiter({ points: 1, windowMs: Number.NaN, keyPrefix: 'rl:' }), RangeError);
  });
});
