import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiter, RateLimiterOptions, RateLimitResult } from './rate-limiter.js';
import { allowedResult, assertRateLimiterOptions, refusedResult } from './rate-limiter-memory.js';

/**
 * KEYS the counters; ARGV each one's window in seconds. Per key, rate-limiter-flexible's own steps
 * (start the window with SET NX EX, INCRBY, read PTTL, repair a counter without expiry), so counts
 * are shared with instances running its limiter. Answers consumed and PTTL per key; a key whose
 * INCRBY fails (a foreign value under it) answers -1, -1 and only that key falls back.
 */
const CONSUME_MANY_LUA = `
local out = {}
for i = 1, #KEYS do
  local window = ARGV[i]
  redis.call('SET', KEYS[i], 0, 'EX', window, 'NX')
  local consumed = redis.pcall('INCRBY', KEYS[i], 1)
  if type(consumed) == 'table' then
    out[2 * i - 1] = -1
    out[2 * i] = -1
  else
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl == -1 then
      redis.call('EXPIRE', KEYS[i], window)
      ttl = 1000 * window
    end
    out[2 * i - 1] = consumed
    out[2 * i] = ttl
  end
end
return out
`;

type ConsumeManyCommand = (numKeys: number, ...args: string[]) => Promise<number[]>;

/** Most counters one script call carries; a busier turn is sent in several calls. */
const MAX_KEYS_PER_CALL = 512;

interface PendingCount {
  key: string;
  windowSec: number;
  resolve: (counted: { consumed: number; ttlMs: number } | null) => void;
  reject: (error: unknown) => void;
}

/**
 * Every counter increment asked for during one event-loop turn, by every limiter on the client,
 * sent as one script call at the end of the turn: two limits per score update cost one Redis
 * command per turn instead of two per update.
 */
class WindowCounters {
  private queue: PendingCount[] = [];
  private scheduled = false;

  constructor(private readonly redis: Redis) {
    if (!('scoreboardConsumeMany' in redis)) redis.defineCommand('scoreboardConsumeMany', { lua: CONSUME_MANY_LUA });
  }

  /** Adds one to `key`'s window; null when Redis could not count that key. Rejects when Redis failed. */
  increment(key: string, windowSec: number): Promise<{ consumed: number; ttlMs: number } | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ key, windowSec, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    for (let start = 0; start < queue.length; start += MAX_KEYS_PER_CALL) void this.send(queue.slice(start, start + MAX_KEYS_PER_CALL));
  }

  private async send(batch: PendingCount[]): Promise<void> {
    const consumeMany = (this.redis as unknown as { scoreboardConsumeMany: ConsumeManyCommand }).scoreboardConsumeMany;
    try {
      const answer = await consumeMany.call(this.redis, batch.length, ...batch.map((entry) => entry.key), ...batch.map((entry) => String(entry.windowSec)));
      batch.forEach((entry, i) => {
        const consumed = Number(answer[2 * i]);
        entry.resolve(consumed < 0 ? null : { consumed, ttlMs: Number(answer[2 * i + 1]) });
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}

/** One batcher per client, shared by the limiters on it. */
const countersByClient = new WeakMap<Redis, WindowCounters>();

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
 * The Redis {@link RateLimiter}: one atomic counter per key and window, so every server instance on
 * the same Redis shares the counts. The counting is rate-limiter-flexible's (same Lua steps, same
 * keys), but batched: the library's Redis limiter sends one script call per attempt and limit, and
 * at two limits per score update that was a third of the server's CPU per update (see README,
 * Performance). The counters of one turn travel as one call; on a Redis Cluster their keys would
 * have to share a slot (the service uses one Redis).
 *
 * Redis counts in whole seconds, so `windowMs` is rounded up to whole seconds: 1500 ms counts over
 * 2 s. That errs strict.
 *
 * While Redis is unreachable (or cannot count a key), attempts are counted by an in-process
 * insurance limiter with the same settings (rate-limiter-flexible's memory limiter): limits keep
 * holding per instance and `consume` never rejects because of Redis.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly counters: WindowCounters;
  private readonly insurance: RateLimiterMemory;
  private readonly keyPrefix: string;
  private readonly points: number;
  private readonly windowSec: number;

  constructor(options: RedisRateLimiterOptions) {
    assertRateLimiterOptions(options);
    this.redis = options.redis;
    this.keyPrefix = `${options.redisKeyPrefix}${options.keyPrefix}`;
    this.points = options.points;
    this.windowSec = Math.ceil(options.windowMs / 1000);
    this.insurance = new RateLimiterMemory({ points: options.points, duration: this.windowSec, keyPrefix: '' });
    let counters = countersByClient.get(options.redis);
    if (!counters) {
      counters = new WindowCounters(options.redis);
      countersByClient.set(options.redis, counters);
    }
    this.counters = counters;
  }

  async consume(key: string): Promise<RateLimitResult> {
    const fullKey = this.keyPrefix + key;
    // Not connected: straight to the insurance, instead of a command that can only fail.
    if (this.redis.status === 'ready') {
      try {
        const counted = await this.counters.increment(fullKey, this.windowSec);
        if (counted) {
          if (counted.consumed <= this.points) return { allowed: true, remaining: this.points - counted.consumed, retryAfterMs: 0 };
          return { allowed: false, remaining: 0, retryAfterMs: Math.max(1, counted.ttlMs) };
        }
      } catch {
        // Redis failed: counted in process below.
      }
    }
    try {
      return allowedResult(await this.insurance.consume(fullKey));
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return refusedResult(rejection);
      // The in-process limiter failed too. A broken limiter must not take the write path down with
      // it, so the attempt is let through; what is left is unknown, and claiming none keeps
      // well-behaved clients from speeding up.
      return { allowed: true, remaining: 0, retryAfterMs: 0 };
    }
  }

  /**
   * Forgets `key` in Redis and in the insurance. While Redis is unreachable only the in-process count is
   * cleared; the Redis count then lapses at the end of its window.
   */
  async reset(key: string): Promise<void> {
    const fullKey = this.keyPrefix + key;
    if (this.redis.status === 'ready') await this.redis.del(fullKey).catch(() => undefined);
    await this.insurance.delete(fullKey);
  }
}
