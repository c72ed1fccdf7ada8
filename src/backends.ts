import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import type { KeyValueCache } from './cache/key-value-cache.js';
import { MemoryKeyValueCache } from './cache/key-value-cache-memory.js';
import type { PubSub } from './cache/pub-sub.js';
import { MemoryPubSub } from './cache/pub-sub-memory.js';
import { RedisPubSub } from './cache/pub-sub-redis.js';
import { RedisKeyValueCache } from './cache/key-value-cache-redis.js';
import { isMemoryDataDir, type Config } from './config.js';
import { migrate } from './db/migrations.js';
import { ScoreStore } from './db/score-store.js';
import type { SqlClient } from './db/sql-client.js';
import { PgSqlClient } from './db/sql-client-pg.js';
import { PgliteSqlClient } from './db/sql-client-pglite.js';
import type { RateLimiter, RateLimiterOptions } from './integrity/rate-limiter.js';
import { MemoryRateLimiter } from './integrity/rate-limiter-memory.js';
import { RedisRateLimiter } from './integrity/rate-limiter-redis.js';
import type { RankIndex } from './leaderboard/rank-index.js';
import { RebuildGuardedRankIndex } from './leaderboard/rank-index-guarded.js';
import { MemoryRankIndex } from './leaderboard/rank-index-memory.js';
import { RedisRankIndex } from './leaderboard/rank-index-redis.js';

/** Everything stateful the service runs on, built once from the configuration. */
export interface Backends {
  /** `embedded`: PGlite; `production`: PostgreSQL. */
  mode: Config['mode'];
  sql: SqlClient;
  store: ScoreStore;
  /** Null without Redis: every port then has its in-process implementation. */
  redis: Redis | null;
  rankIndex: RankIndex;
  replayCache: KeyValueCache;
  userCache: KeyValueCache;
  userLimiter: RateLimiter;
  /** The tighter per-user limit of flagged players. */
  flaggedLimiter: RateLimiter;
  ipLimiter: RateLimiter;
  /** Exports per user per hour (`EXPORT_RATE_LIMIT_MAX_REQUESTS`). */
  exportLimiter: RateLimiter;
  /** Messages between instances (the `leaderboard:changed` channel). */
  pubsub: PubSub;
  close(): Promise<void>;
}

/**
 * A Redis client that fails fast while Redis is unreachable (no offline queue, one retry), so
 * callers fall back at once instead of waiting, and that keeps reconnecting in the background.
 */
export function createRedisClient(url: string, log?: FastifyBaseLogger): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    // Commands issued in the same tick (limiter, replay cache, rank index, events) share one write.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let lastError = '';
  redis.on('error', (error: Error) => {
    // One line per distinct failure, not one per reconnection attempt.
    if (error.message !== lastError) log?.warn({ err: error }, 'redis error');
    lastError = error.message;
  });
  redis.on('ready', () => {
    lastError = '';
  });
  return redis;
}


/** Opens the SQL client the configuration names and brings its schema up to date. */
export async function openDatabase(config: Config, log?: FastifyBaseLogger): Promise<SqlClient> {
  const sql: SqlClient = config.database
    ? new PgSqlClient({
        url: config.database.url,
        poolSize: config.database.poolSize,
        onError: (error) => log?.warn({ err: error }, 'idle database connection failed'),
      })
    : await PgliteSqlClient.open({ dataDir: isMemoryDataDir(config.dataDir) ? 'memory://' : join(config.dataDir, 'pglite') });
  try {
    const applied = await migrate(sql);
    if (applied.length > 0) log?.info({ applied }, 'database migrations applied');
  } catch (error) {
    await sql.close().catch(() => undefined);
    throw error;
  }
  return sql;
}

export async function createBackends(config: Config, log?: FastifyBaseLogger): Promise<Backends> {
  const sql = await openDatabase(config, log);
  const store = new ScoreStore(sql);
  const limits = (keyPrefix: string, points: number): RateLimiterOptions => ({ points, windowMs: config.rateLimit.windowMs, keyPrefix });
  const userLimits = limits('rl:user:', config.rateLimit.maxRequests);
  const ipLimits = limits('rl:ip:', config.rateLimit.globalMaxRequests);
  const flaggedLimits = limits('rl:flagged:', config.flaggedMaxRequests);
  const exportLimits: RateLimiterOptions = { points: config.exportMaxPerHour, windowMs: 3_600_000, keyPrefix: 'rl:export:' };

  if (!config.redis) {
    const pubsub = new MemoryPubSub();
    return {
      mode: config.mode,
      sql,
      store,
      redis: null,
      rankIndex: new RebuildGuardedRankIndex(new MemoryRankIndex()),
      replayCache: new MemoryKeyValueCache({ maxEntries: 200_000 }),
      userCache: new MemoryKeyValueCache({ maxEntries: 50_000 }),
      userLimiter: new MemoryRateLimiter(userLimits),
      flaggedLimiter: new MemoryRateLimiter(flaggedLimits),
      ipLimiter: new MemoryRateLimiter(ipLimits),
      exportLimiter: new MemoryRateLimiter(exportLimits),
      pubsub,
      async close() {
        await pubsub.close();
        await sql.close();
      },
    };
  }

  const { keyPrefix } = config.redis;
  const redis = createRedisClient(config.redis.url, log);
  // Redis down at start is not fatal: the service starts degraded and the cache is rebuilt when it returns.
  await redis.connect().catch((error: Error) => log?.warn({ err: error }, 'redis unreachable at start; running degraded'));
  const pubsub = new RedisPubSub({ redis, keyPrefix, onError: (error) => log?.warn({ err: error }, 'redis pub/sub error') });
  return {
    mode: config.mode,
    sql,
    store,
    redis,
    rankIndex: new RebuildGuardedRankIndex(new RedisRankIndex({ redis, keyPrefix }), { lostWith: redis }),
    replayCache: new RedisKeyValueCache({ redis, keyPrefix }),
    userCache: new RedisKeyValueCache({ redis, keyPrefix }),
    userLimiter: new RedisRateLimiter({ ...userLimits, redis, redisKeyPrefix: keyPrefix }),
    flaggedLimiter: new RedisRateLimiter({ ...flaggedLimits, redis, redisKeyPrefix: keyPrefix }),
    ipLimiter: new RedisRateLimiter({ ...ipLimits, redis, redisKeyPrefix: keyPrefix }),
    exportLimiter: new RedisRateLimiter({ ...exportLimits, redis, redisKeyPrefix: keyPrefix }),
    pubsub,
    async close() {
      await pubsub.close();
      redis.disconnect();
      await sql.close();
    },
  };
}
