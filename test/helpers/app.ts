import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createTokenSigner, type TokenClaims } from '../../src/auth/jwt.js';
import { createBackends, type Backends } from '../../src/backends.js';
import { loadConfig, type Config } from '../../src/config.js';
import { signAction } from '../../src/scores/signature.js';
import { createTestDatabase, createTestRedis, SKIP_POSTGRES, SKIP_REDIS, TEST_REDIS_URL } from './services.js';

export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';
export const TEST_HMAC_KEY = 'test-hmac-secret-0123456789abcdef012345678';

export type TestMode = 'embedded' | 'production';

/** The modes every HTTP behaviour runs in; production needs both real services. */
export const MODES: { mode: TestMode; skip: string | false }[] = [
  { mode: 'embedded', skip: false },
  { mode: 'production', skip: SKIP_POSTGRES || SKIP_REDIS },
];

/** A catalogue file for tests; the default catalogue's minDurations would refuse rapid updates. */
export function actionsFile(actions: Record<string, { maxScore: number; minDuration: number }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-actions-'));
  const file = join(dir, 'actions.json');
  writeFileSync(file, JSON.stringify(actions));
  return file;
}

/** Rapid-fire actions: no minimum duration. */
export const FAST_ACTIONS = { TASK_COMPLETE: { maxScore: 50, minDuration: 0 }, ACHIEVEMENT: { maxScore: 200, minDuration: 0 }, SLOW_ACTION: { maxScore: 100, minDuration: 60_000 } };

export interface ScoreBody {
  actionId: string;
  actionType: string;
  scoreIncrement: number;
  timestamp: string;
  clientSignature: string;
}

/** A correctly signed body (TEST_HMAC_KEY); overrides apply before signing unless `clientSignature` is given. */
export function signedBody(overrides: Partial<ScoreBody> = {}): ScoreBody {
  const unsigned = {
    actionId: randomUUID(),
    actionType: 'TASK_COMPLETE',
    scoreIncrement: 10,
    timestamp: new Date().toISOString(),
    ...overrides,
  };
  return { ...unsigned, clientSignature: overrides.clientSignature ?? signAction(TEST_HMAC_KEY, unsigned) };
}

export interface TestApp {
  mode: TestMode;
  app: FastifyInstance;
  config: Config;
  backends: Backends;
  token(userId: string, claims?: Partial<TokenClaims>, expiry?: string): string;
  /** A correctly signed body; overrides are applied before signing unless `clientSignature` is given. */
  body(overrides?: Partial<ScoreBody>): ScoreBody;
  /** POST /api/v1/scores/update as `userId`. */
  post(userId: string, body: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** The user's score straight from SQL (0 when they have none). */
  scoreInDb(userId: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Builds the app on fresh storage: PGlite in memory and in-process ports, or a fresh PostgreSQL
 * database and a fresh Redis key prefix. `env` overrides the configuration; `options.logger`
 * receives the app's log lines (none by default).
 */
export async function createTestApp(mode: TestMode, env: Record<string, string> = {}, options: { logger?: FastifyBaseLogger; clock?: () => number } = {}): Promise<TestApp> {
  const cleanups: (() => Promise<void>)[] = [];
  const baseEnv: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: 'memory://',
    JWT_SECRET: TEST_JWT_SECRET,
    HMAC_SECRET_KEY: TEST_HMAC_KEY,
    CACHE_REFRESH_INTERVAL_MS: '0',
    RATE_LIMIT_MAX_REQUESTS: '100000',
    RATE_LIMIT_GLOBAL_MAX_REQUESTS: '1000000',
  };
  if (mode === 'production') {
    const database = await createTestDatabase();
    const redis = await createTestRedis();
    cleanups.push(database.cleanup, redis.cleanup);
    baseEnv.DATABASE_URL = database.url;
    baseEnv.DB_POOL_SIZE = '16';
    baseEnv.REDIS_URL = TEST_REDIS_URL!;
    baseEnv.REDIS_KEY_PREFIX = redis.keyPrefix;
  }
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  let config: Config;
  let backends: Backends;
  let app: FastifyInstance | undefined;
  try {
    config = loadConfig({ ...baseEnv, ...env });
    backends = await createBackends(config);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  try {
    app = await buildApp(config, backends, { ...(options.logger ? { logger: options.logger } : {}), ...(options.clock ? { clock: options.clock } : {}) });
    await app.ready();
  } catch (error) {
    // A start that fails (a refused BOARDS_CONFIG, say) must not leave pools and timers behind.
    await app?.close().catch(() => undefined);
    await backends.close().catch(() => undefined);
    await cleanUp();
    throw error;
  }
  const signer = createTokenSigner(TEST_JWT_SECRET, '1h');
  const tokens = new Map<string, string>();
  const token = (userId: string, claims: Partial<TokenClaims> = {}, expiry?: string) => {
    if (Object.keys(claims).length > 0 || expiry) return signer({ userId, username: `Player ${userId}`, ...claims }, expiry);
    let cached = tokens.get(userId);
    if (!cached) {
      cached = signer({ userId, username: `Player ${userId}` });
      tokens.set(userId, cached);
    }
    return cached;
  };
  return {
    mode,
    app,
    config,
    backends,
    token,
    body: signedBody,
    post: (userId, payload, headers = {}) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/scores/update',
        headers: { authorization: `Bearer ${token(userId)}`, ...headers },
        ...(typeof payload === 'string' ? { payload } : { payload: payload as object }),
      }),
    async scoreInDb(userId) {
      const [row] = await backends.sql.query('SELECT score FROM scores WHERE user_id = $1', [userId]);
      return (row?.score as number | undefined) ?? 0;
    },
    async close() {
      await app.close();
      await backends.close();
      await cleanUp();
    },
  };
}
