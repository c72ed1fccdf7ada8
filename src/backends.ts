import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import type { KeyValueCache } from './cache/key-value-cache.js';
import { MemoryKeyValueCache } from './cache/key-value-cache-memory.js';
import type { PubSub } from './cache/pub-sub.js';
import { MemoryPubSub } from './cache/pub-sub-memory.js';
import { RedisPubSub } from './cache/pub-sub-redis.js';
import { RedisKeyValueCache } from './cache/key-value-cache-redis.js';
import { displayUrl, isMemoryDataDir, StartupError, type Config } from './config.js';
import { migrate } from './db/migrations.js';
import { databaseStartupError } from './db/startup-failure.js';
import { BoardStore } from './db/board-store.js';
import { HistoryStore } from './db/history-store.js';
import { IntegrityStore } from './db/integrity-store.js';
import { ScoreStore } from './db/score-store.js';
import { ApiKeyStore } from './api-keys/api-key-store.js';
import { UserStore } from './db/user-store.js';
import type { SqlClient } from './db/sql-client.js';
import { PgSqlClient } from './db/sql-client-pg.js';
import { PgliteSqlClient } from './db/sql-client-pglite.js';
import type { RateLimiter, RateLimiterOptions } from './integrity/rate-limiter.js';
import { MemoryRateLimiter } from './integrity/rate-limiter-memory.js';
import { RedisRateLimiter } from './integrity/rate-limiter-redis.js';
import type { RankIndex } from './boards/rank-index.js';
import { RebuildGuardedRankIndex } from './boards/rank-index-guarded.js';
import { MemoryRankIndex } from './boards/rank-index-memory.js';
import { RedisRankIndex } from './boards/rank-index-redis.js';

/** The SQL of each domain: users, scores (the write path), the audit trail, integrity flags. */
export interface Stores {
  users: UserStore;
  scores: ScoreStore;
  history: HistoryStore;
  integrity: IntegrityStore;
  /** Boards, their entries and direct submissions (`global` included). */
  boards: BoardStore;
  /** Game-server keys. */
  apiKeys: ApiKeyStore;
}

/** Every store over one SQL client. */
export function createStores(sql: SqlClient): Stores {
  return {
    users: new UserStore(sql),
    scores: new ScoreStore(sql),
    history: new HistoryStore(sql),
    integrity: new IntegrityStore(sql),
    boards: new BoardStore(sql),
    apiKeys: new ApiKeyStore(sql),
  };
}

/** Everything stateful the service runs on, built once from the configuration. */
export interface Backends {
  /** `embedded`: PGlite; `production`: PostgreSQL. */
  mode: Config['mode'];
  sql: SqlClient;
  /** One store per domain, all over `sql`. */
  stores: Stores;
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
  /** Requests per game-server key per window (`API_KEY_RATE_LIMIT_MAX_REQUESTS`). */
  apiKeyLimiter: RateLimiter;
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
  const warn = onceUntilReady(redis, log, 'redis error');
  redis.on('error', warn);
  return redis;
}

/**
 * Logs each distinct failure once until `redis` is ready again, not once per reconnection attempt
 * (every 2 s while Redis is away).
 */
export function onceUntilReady(redis: Pick<Redis, 'on'>, log: FastifyBaseLogger | undefined, message: string): (error: unknown) => void {
  const seen = new Set<string>();
  redis.on('ready', () => seen.clear());
  return (error: unknown) => {
    const text = error instanceof Error ? error.message : String(error);
    if (seen.has(text)) return;
    seen.add(text);
    log?.warn({ err: error }, message);
  };
}


/** Opens the SQL client the configuration names and brings its schema up to date. */
/**
 * Opens the SQL client the configuration names and brings its schema up to date.
 * @throws StartupError naming the setting when the database cannot be opened.
 */
export async function openDatabase(config: Config, log?: FastifyBaseLogger): Promise<SqlClient> {
  let sql: SqlClient;
  try {
    sql = config.database
      ? new PgSqlClient({
          url: config.database.url,
          poolSize: config.database.poolSize,
          onError: (error) => log?.warn({ err: error }, 'idle database connection failed'),
        })
      : await PgliteSqlClient.open({ dataDir: isMemoryDataDir(config.dataDir) ? 'memory://' : join(config.dataDir, 'pglite') });
  } catch (error) {
    throw databaseStartupError(config, error);
  }
  try {
    const applied = await migrate(sql);
    if (applied.length > 0) log?.info({ applied }, 'database migrations applied');
  } catch (error) {
    await sql.close().catch(() => undefined);
    throw databaseStartupError(config, error);
  }
  return sql;
}

const REDIS_AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;

/**
 * Connects at start. Unreachable is not fatal: the service starts degraded and ioredis keeps
 * reconnecting in the background. A Redis that refuses the password is a setting to fix: it stops
 * the start (exit 2) rather than running degraded forever.
 */
async function connectRedisAtStart(redis: Redis, redisConfig: NonNullable<Config['redis']>, log?: FastifyBaseLogger): Promise<void> {
  let lastError: Error | null = null;
  const remember = (error: Error) => {
    lastError = error;
  };
  redis.on('error', remember);
  try {
    await redis.connect();
  } catch (error) {
    const cause: Error = lastError ?? (error as Error);
    const where = `${redisConfig.source} (${displayUrl(redisConfig.url)})`;
    if (REDIS_AUTH_FAILURE.test(cause.message)) {
      redis.disconnect();
      throw new StartupError(`${where}: Redis refused the password: ${cause.message.split('\n')[0]}`, 2, { cause });
    }
    log?.warn({ redis: displayUrl(redisConfig.url), reason: cause.message }, `${where} is unreachable at start; serving degraded (PostgreSQL and in-process fallbacks) until it connects`);
  } finally {
    redis.off('error', remember);
  }
}

export async function createBackends(config: Config, log?: FastifyBaseLogger): Promise<Backends> {
  const sql = await openDatabase(config, log);
  const stores = createStores(sql);
  const limits = (keyPrefix: string, points: number): RateLimiterOptions => ({ points, windowMs: config.rateLimit.windowMs, keyPrefix });
  const userLimits = limits('rl:user:', config.rateLimit.maxRequests);
  const ipLimits = limits('rl:ip:', config.rateLimit.globalMaxRequests);
  const flaggedLimits = limits('rl:flagged:', config.flaggedMaxRequests);
  const apiKeyLimits = limits('rl:key:', config.rateLimit.apiKeyMaxRequests);
  const exportLimits: RateLimiterOptions = { points: config.exportMaxPerHour, windowMs: 3_600_000, keyPrefix: 'rl:export:' };

  if (!config.redis) {
    const pubsub = new MemoryPubSub();
    return {
      mode: config.mode,
      sql,
      stores,
      redis: null,
      rankIndex: new RebuildGuardedRankIndex(new MemoryRankIndex()),
      replayCache: new MemoryKeyValueCache({ maxEntries: 200_000 }),
      userCache: new MemoryKeyValueCache({ maxEntries: 50_000 }),
      userLimiter: new MemoryRateLimiter(userLimits),
      flaggedLimiter: new MemoryRateLimiter(flaggedLimits),
      ipLimiter: new MemoryRateLimiter(ipLimits),
      exportLimiter: new MemoryRateLimiter(exportLimits),
      apiKeyLimiter: new MemoryRateLimiter(apiKeyLimits),
      pubsub,
      async close() {
        await pubsub.close();
        await sql.close();
      },
    };
  }

  const { keyPrefix } = config.redis;
  const redis = createRedisClient(config.redis.url, log);
  try {
    await connectRedisAtStart(redis, config.redis, log);
  } catch (error) {
    await sql.close().catch(() => undefined);
    throw error;
  }
  const pubsub = new RedisPubSub({ redis, keyPrefix, onError: onceUntilReady(redis, log, 'redis pub/sub error') });
  return {
    mode: config.mode,
    sql,
    stores,
    redis,
    rankIndex: new RebuildGuardedRankIndex(new RedisRankIndex({ redis, keyPrefix }), { lostWith: redis }),
    replayCache: new RedisKeyValueCache({ redis, keyPrefix }),
    userCache: new RedisKeyValueCache({ redis, keyPrefix }),
    userLimiter: new RedisRateLimiter({ ...userLimits, redis, redisKeyPrefix: keyPrefix }),
    flaggedLimiter: new RedisRateLimiter({ ...flaggedLimits, redis, redisKeyPrefix: keyPrefix }),
    ipLimiter: new RedisRateLimiter({ ...ipLimits, redis, redisKeyPrefix: keyPrefix }),
    exportLimiter: new RedisRateLimiter({ ...exportLimits, redis, redisKeyPrefix: keyPrefix }),
    apiKeyLimiter: new RedisRateLimiter({ ...apiKeyLimits, redis, redisKeyPrefix: keyPrefix }),
    pubsub,
    async close() {
      await pubsub.close();
      redis.disconnect();
      await sql.close();
    },
  };
}
