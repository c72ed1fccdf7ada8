import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { RedisRateLimiter } from '../../src/integrity/rate-limiter-redis.js';
import { rateLimiterContract } from '../contracts/rate-limiter-contract.js';
import { createTestRedis, SKIP_REDIS, TEST_REDIS_URL } from '../helpers/services.js';

rateLimiterContract(
  'redis',
  async (options) => {
    const { redis, keyPrefix, cleanup } = await createTestRedis();
    return { limiter: new RedisRateLimiter({ ...options, redis, redisKeyPrefix: keyPrefix }), cleanup };
  },
  { skip: SKIP_REDIS },
);

describe('RedisRateLimiter', { skip: SKIP_REDIS }, () => {
  let redis: Redis;
  let keyPrefix: string;
  let cleanup: () => Promise<void>;
  let keyCounter = 0;
  /** A key no other case in this file uses (they share one Redis prefix). */
  const freshKey = () => `k${++keyCounter}`;

  before(async () => {
    ({ redis, keyPrefix, cleanup } = await createTestRedis());
  });
  after(() => cleanup());

  it('shares one count between instances on separate clients (two servers)', async () => {
    const other = new Redis(TEST_REDIS_URL ?? '', { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      // Until a client is ready the limiter counts in process, so both must be connected first.
      await other.connect();
      const settings = { points: 4, windowMs: 60_000, keyPrefix: 'rl:user:', redisKeyPrefix: keyPrefix };
      const first = new RedisRateLimiter({ ...settings, redis });
      const second = new RedisRateLimiter({ ...settings, redis: other });
      const key = freshKey();
      assert.equal((await first.consume(key)).remaining, 3);
      assert.equal((await second.consume(key)).remaining, 2);
      assert.equal((await first.consume(key)).remaining, 1);
      assert.equal((await second.consume(key)).remaining, 0);
      assert.equal((await first.consume(key)).allowed, false);
      assert.equal((await second.consume(key)).allowed, false);
      await first.reset(key);
      assert.deepEqual(await second.consume(key), { allowed: true, remaining: 3, retryAfterMs: 0 });
    } finally {
      other.disconnect();
    }
  });

  it('counts under redisKeyPrefix + keyPrefix + key, expiring with the window', async () => {
    const limiter = new RedisRateLimiter({ points: 5, windowMs: 60_000, keyPrefix: 'rl:user:', redisKeyPrefix: keyPrefix, redis });
    const key = freshKey();
    await limiter.consume(key);
    await limiter.consume(key);
    assert.equal(await redis.get(`${keyPrefix}rl:user:${key}`), '2');
    const ttlMs = await redis.pttl(`${keyPrefix}rl:user:${key}`);
    assert.ok(ttlMs > 59_000 && ttlMs <= 60_000, `pttl ${ttlMs}`);
  });

  it('sends every count asked for in one turn, by every limiter on the client, as one script call', async () => {
    const user = new RedisRateLimiter({ points: 100, windowMs: 60_000, keyPrefix: 'rl:user:', redisKeyPrefix: keyPrefix, redis });
    const global = new RedisRateLimiter({ points: 100, windowMs: 60_000, keyPrefix: 'rl:global:', redisKeyPrefix: keyPrefix, redis });
    await user.consume(freshKey()); // the script is loaded: what follows is one EVALSHA, never a NOSCRIPT retry
    const watcher = new Redis(TEST_REDIS_URL ?? '', { lazyConnect: true });
    const monitor = await watcher.monitor();
    const source = `${redis.stream.localAddress}:${redis.stream.localPort}`;
    const calls: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], from: string) => {
      if (from === source && /^eval/i.test(args[0] ?? '')) calls.push(args);
    });
    try {
      const players = Array.from({ length: 20 }, () => freshKey());
      const address = freshKey();
      const results = await Promise.all([...players.map((key) => user.consume(key)), ...players.map(() => global.consume(address))]);
      for (let waited = 0; calls.length === 0 && waited < 2000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(calls.length, 1, `script calls: ${calls.length}`);
      assert.equal(calls[0]![2], '40', 'forty counters in the one call');
      assert.deepEqual(results.slice(0, 20).map((result) => result.remaining), players.map(() => 99));
      // The shared address was counted 20 times, once per attempt.
      assert.deepEqual(results.slice(20).map((result) => result.remaining).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => 80 + i));
    } finally {
      monitor.disconnect();
      watcher.disconnect();
    }
  });

  it('keeps limiters with different key prefixes apart on the same Redis', async () => {
    const user = new RedisRateLimiter({ points: 1, windowMs: 60_000, keyPrefix: 'rl:user:', redisKeyPrefix: keyPrefix, redis });
    const global = new RedisRateLimiter({ points: 1, windowMs: 60_000, keyPrefix: 'rl:global:', redisKeyPrefix: keyPrefix, redis });
    const key = freshKey();
    assert.equal((await user.consume(key)).allowed, true);
    assert.equal((await global.consume(key)).allowed, true);
    assert.equal((await user.consume(key)).allowed, false);
  });

  it('rounds a window under a second up to one second rather than never expiring', async () => {
    const limiter = new RedisRateLimiter({ points: 1, windowMs: 300, keyPrefix: 'rl:', redisKeyPrefix: keyPrefix, redis });
    const key = freshKey();
    await limiter.consume(key);
    const refused = await limiter.consume(key);
    assert.equal(refused.allowed, false);
    assert.ok(refused.retryAfterMs > 300 && refused.retryAfterMs <= 1000, `retryAfterMs ${refused.retryAfterMs}`);
    assert.ok((await redis.pttl(`${keyPrefix}rl:${key}`)) > 0);
  });

  it('falls back to the in-process count for a key Redis cannot count, and for that key only', async () => {
    const limiter = new RedisRateLimiter({ points: 2, windowMs: 60_000, keyPrefix: 'rl:', redisKeyPrefix: keyPrefix, redis });
    const key = freshKey();
    const neighbour = freshKey();
    // INCRBY on a value that is not an integer fails in Redis while the connection is fine.
    await redis.set(`${keyPrefix}rl:${key}`, 'not a number', 'EX', 60);
    // Asked in the same turn, so both travel in one script call: the neighbour is still counted in Redis.
    const [first, other] = await Promise.all([limiter.consume(key), limiter.consume(neighbour)]);
    assert.deepEqual(first, { allowed: true, remaining: 1, retryAfterMs: 0 });
    assert.deepEqual(other, { allowed: true, remaining: 1, retryAfterMs: 0 });
    assert.equal(await redis.get(`${keyPrefix}rl:${neighbour}`), '1');
    assert.deepEqual(await limiter.consume(key), { allowed: true, remaining: 0, retryAfterMs: 0 });
    assert.equal((await limiter.consume(key)).allowed, false);
  });
});

describe('RedisRateLimiter with Redis unreachable', () => {
  it('keeps limiting in process, fast, when the client is closed', { skip: SKIP_REDIS }, async () => {
    const { redis, keyPrefix, cleanup } = await createTestRedis();
    const limiter = new RedisRateLimiter({ points: 2, windowMs: 60_000, keyPrefix: 'rl:', redisKeyPrefix: keyPrefix, redis });
    await cleanup(); // disconnects: every later command fails with "Connection is closed"
    if (redis.status !== 'end') await once(redis, 'end');
    const started = performance.now();
    assert.deepEqual(await limiter.consume('u1'), { allowed: true, remaining: 1, retryAfterMs: 0 });
    assert.deepEqual(await limiter.consume('u1'), { allowed: true, remaining: 0, retryAfterMs: 0 });
    const refused = await limiter.consume('u1');
    assert.equal(refused.allowed, false);
    assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 60_000);
    await limiter.reset('u1');
    assert.equal((await limiter.consume('u1')).allowed, true);
    assert.ok(performance.now() - started < 200, 'fell back without waiting on Redis');
  });

  it('does not wait on a client that keeps reconnecting to a dead server', async () => {
    // Default ioredis options (offline queue on, 20 retries per request) would hold a command for seconds.
    const redis = new Redis({ host: '127.0.0.1', port: 1, retryStrategy: () => 50 });
    redis.on('error', () => {}); // connection refused, expected
    try {
      const limiter = new RedisRateLimiter({ points: 1, windowMs: 60_000, keyPrefix: 'rl:', redisKeyPrefix: 'unreachable:', redis });
      const started = performance.now();
      assert.equal((await limiter.consume('u1')).allowed, true);
      assert.equal((await limiter.consume('u1')).allowed, false);
      assert.ok(performance.now() - started < 200, 'fell back without waiting on Redis');
    } finally {
      redis.disconnect();
    }
  });
});
