import { readFileSync } from 'node:fs';
import { DEFAULT_THRESHOLDS, type AnomalyThresholds } from './integrity/anomaly-detectors.js';
import { DEFAULT_ACTIONS, parseActionCatalogue, type ActionCatalogue } from './scores/action-catalogue.js';

export type Mode = 'embedded' | 'production';

export interface DatabaseConfig {
  /** A `postgres://` connection string; built from `DB_*` when `DATABASE_URL` is absent. */
  url: string;
  poolSize: number;
}

export interface RedisConfig {
  url: string;
  keyPrefix: string;
}

export interface Config {
  /** `production` when PostgreSQL is configured; embedded (PGlite) otherwise. */
  mode: Mode;
  port: number;
  host: string;
  nodeEnv: 'development' | 'production' | 'test';
  logLevel: string;
  /** Where PGlite and development secrets live; `memory://` keeps nothing. */
  dataDir: string;
  database: DatabaseConfig | null;
  redis: RedisConfig | null;
  /** Undefined until resolved: required in production, generated under DATA_DIR in development. */
  jwtSecret: string | undefined;
  hmacSecretKey: string | undefined;
  /** Lifetime of tokens the service itself issues (`scoreboard token`, the development token). */
  jwtExpiry: string;
  rateLimit: {
    windowMs: number;
    /** Per user, per window. */
    maxRequests: number;
    /** Per client IP address, per window, over every score-update route. */
    globalMaxRequests: number;
  };
  timestampToleranceMs: number;
  actions: ActionCatalogue;
  leaderboardPublic: boolean;
  broadcastIntervalMs: number;
  cacheRefreshIntervalMs: number;
  autoFreeze: boolean;
  /** Thresholds of the anomaly detectors (`ANOMALY_*`). */
  anomaly: AnomalyThresholds;
  /** A flagged player's rate limit: updates per window while the penalty lasts. */
  flaggedMaxRequests: number;
  /** How long a flag tightens the player's rate limit. */
  flagPenaltyMs: number;
  /** Where flags are POSTed as JSON, if anywhere. */
  alertWebhookUrl: string | null;
  corsOrigins: string[];
  tls: { certFile: string; keyFile: string } | null;
  bodyLimitBytes: number;
  /**
   * Whose `X-Forwarded-For` to believe for the client address (the global rate limit's key and the
   * audit trail): false (the socket's peer), true (any), a hop count, or addresses/CIDRs of proxies.
   */
  trustProxy: boolean | number | string[];
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const lower = raw.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lower)) return true;
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function decimal(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value < min || value > max) throw new ConfigError(`${name} must be a number between ${min} and ${max}, got "${raw}"`);
  return value;
}

function anomalyThresholds(env: Env): AnomalyThresholds {
  const d = DEFAULT_THRESHOLDS;
  return {
    windowMs: integer(env, 'ANOMALY_WINDOW_MS', d.windowMs, 10_000, 86_400_000),
    zScore: decimal(env, 'ANOMALY_ZSCORE', d.zScore, 1, 100),
    minPopulation: integer(env, 'ANOMALY_MIN_POPULATION', d.minPopulation, 3, 1_000_000),
    minSamples: integer(env, 'ANOMALY_MIN_SAMPLES', d.minSamples, 1, 10_000),
    regularityCv: decimal(env, 'ANOMALY_REGULARITY_CV', d.regularityCv, 0, 1),
    regularitySamples: integer(env, 'ANOMALY_REGULARITY_SAMPLES', d.regularitySamples, 3, 24),
    distinctIps: integer(env, 'ANOMALY_DISTINCT_IPS', d.distinctIps, 2, 10_000),
    signatureFailures: integer(env, 'ANOMALY_SIGNATURE_FAILURES', d.signatureFailures, 1, 10_000),
    tooFastRefusals: integer(env, 'ANOMALY_TOO_FAST_REFUSALS', d.tooFastRefusals, 1, 10_000),
    maxScoreShare: decimal(env, 'ANOMALY_MAX_SCORE_SHARE', d.maxScoreShare, 0.1, 1),
    maxScoreSamples: integer(env, 'ANOMALY_MAX_SCORE_SAMPLES', d.maxScoreSamples, 2, 10_000),
  };
}

function webhookUrl(env: Env): string | null {
  const raw = text(env, 'ALERT_WEBHOOK_URL');
  if (!raw) return null;
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString();
  } catch {
    // Falls through to the error below.
  }
  throw new ConfigError(`ALERT_WEBHOOK_URL must be an http(s) URL, got "${raw}"`);
}

function trustProxy(env: Env): Config['trustProxy'] {
  const raw = text(env, 'TRUST_PROXY');
  if (raw === undefined || ['false', '0', 'no', 'off'].includes(raw.toLowerCase())) return false;
  if (['true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (/^\d+$/.test(raw)) return integer(env, 'TRUST_PROXY', 0, 0, 100);
  const proxies = raw.split(',').map((part) => part.trim()).filter(Boolean);
  if (!proxies.every((proxy) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(proxy))) {
    throw new ConfigError(`TRUST_PROXY must be true, false, a hop count or a comma-separated list of proxy addresses/CIDRs, got "${raw}"`);
  }
  return proxies;
}

function secret(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (Buffer.byteLength(raw, 'utf8') < 32) throw new ConfigError(`${name} must be at least 32 bytes long`);
  return raw;
}

const DURATION_PATTERN = /^(\d+)\s*(ms|s|m|h|d)?$/;

/** Parses `24h`, `15m`, `3600` (seconds) into seconds. */
export function parseDurationSec(raw: string): number | undefined {
  const match = DURATION_PATTERN.exec(raw.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = match[2] ?? 's';
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[unit] ?? 1;
  const seconds = Math.floor(amount * factor);
  return seconds > 0 ? seconds : undefined;
}

function databaseConfig(env: Env): DatabaseConfig | null {
  const poolSize = integer(env, 'DB_POOL_SIZE', 20, 1, 1000);
  const url = text(env, 'DATABASE_URL');
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
    return { url, poolSize };
  }
  const host = text(env, 'DB_HOST');
  if (!host) return null;
  const port = integer(env, 'DB_PORT', 5432, 1, 65535);
  const name = text(env, 'DB_NAME') ?? 'scoreboard';
  const user = text(env, 'DB_USER') ?? 'postgres';
  const password = env.DB_PASSWORD ?? '';
  const auth = password ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}` : encodeURIComponent(user);
  return { url: `postgres://${auth}@${host}:${port}/${encodeURIComponent(name)}`, poolSize };
}

function redisConfig(env: Env): RedisConfig | null {
  const keyPrefix = text(env, 'REDIS_KEY_PREFIX') ?? 'scoreboard:';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(keyPrefix)) {
    throw new ConfigError('REDIS_KEY_PREFIX must be 1 to 64 characters of letters, digits, _ . : -');
  }
  const url = text(env, 'REDIS_URL');
  if (url) {
    if (!/^rediss?:\/\//.test(url)) throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
    return { url, keyPrefix };
  }
  const host = text(env, 'REDIS_HOST');
  if (!host) return null;
  const port = integer(env, 'REDIS_PORT', 6379, 1, 65535);
  const db = integer(env, 'REDIS_DB', 0, 0, 1024);
  const password = env.REDIS_PASSWORD;
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  return { url: `redis://${auth}${host}:${port}/${db}`, keyPrefix };
}

function actionCatalogue(env: Env): ActionCatalogue {
  const file = text(env, 'ACTIONS_CONFIG');
  if (!file) return parseActionCatalogue(DEFAULT_ACTIONS, 'default actions');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`ACTIONS_CONFIG: cannot read JSON from ${file}: ${(error as Error).message}`);
  }
  try {
    return parseActionCatalogue(raw, `ACTIONS_CONFIG (${file})`);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/**
 * Reads and validates the whole environment once; the result is frozen and is the only
 * place the rest of the code learns configuration from.
 * @throws ConfigError naming the first bad variable.
 */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnvRaw = text(env, 'NODE_ENV') ?? 'development';
  if (!['development', 'production', 'test'].includes(nodeEnvRaw)) {
    throw new ConfigError(`NODE_ENV must be development, production or test, got "${nodeEnvRaw}"`);
  }
  const nodeEnv = nodeEnvRaw as Config['nodeEnv'];
  const logLevel = text(env, 'LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${logLevel}"`);
  }
  const database = databaseConfig(env);
  const redis = redisConfig(env);
  const jwtExpiry = text(env, 'JWT_EXPIRY') ?? '24h';
  if (parseDurationSec(jwtExpiry) === undefined) throw new ConfigError(`JWT_EXPIRY must be a duration like 24h, 15m or 3600, got "${jwtExpiry}"`);

  const certFile = text(env, 'TLS_CERT_FILE');
  const keyFile = text(env, 'TLS_KEY_FILE');
  if (Boolean(certFile) !== Boolean(keyFile)) throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE must be set together');

  const host = text(env, 'HOST') ?? '0.0.0.0';
  const corsOrigins = (text(env, 'CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);

  const config: Config = {
    mode: database ? 'production' : 'embedded',
    port: integer(env, 'PORT', 3000, 0, 65535),
    host,
    nodeEnv,
    logLevel,
    dataDir: text(env, 'DATA_DIR') ?? './data',
    database,
    redis,
    jwtSecret: secret(env, 'JWT_SECRET'),
    hmacSecretKey: secret(env, 'HMAC_SECRET_KEY'),
    jwtExpiry,
    rateLimit: {
      windowMs: integer(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1000, 86_400_000),
      maxRequests: integer(env, 'RATE_LIMIT_MAX_REQUESTS', 10, 1, 100_000_000),
      globalMaxRequests: integer(env, 'RATE_LIMIT_GLOBAL_MAX_REQUESTS', 1000, 1, 1_000_000_000),
    },
    timestampToleranceMs: integer(env, 'TIMESTAMP_TOLERANCE_MS', 300_000, 1000, 86_400_000),
    actions: actionCatalogue(env),
    leaderboardPublic: boolean(env, 'LEADERBOARD_PUBLIC', true),
    broadcastIntervalMs: integer(env, 'BROADCAST_INTERVAL_MS', 100, 10, 60_000),
    cacheRefreshIntervalMs: integer(env, 'CACHE_REFRESH_INTERVAL_MS', 300_000, 0, 86_400_000),
    autoFreeze: boolean(env, 'AUTO_FREEZE', false),
    anomaly: anomalyThresholds(env),
    flaggedMaxRequests: 0,
    flagPenaltyMs: integer(env, 'FLAG_PENALTY_MS', 3_600_000, 1000, 30 * 86_400_000),
    alertWebhookUrl: webhookUrl(env),
    corsOrigins,
    tls: certFile && keyFile ? { certFile, keyFile } : null,
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 16 * 1024, 1024, 10 * 1024 * 1024),
    trustProxy: trustProxy(env),
  };
  config.flaggedMaxRequests = integer(env, 'FLAGGED_RATE_LIMIT_MAX_REQUESTS', Math.max(1, Math.floor(config.rateLimit.maxRequests / 5)), 1, 100_000_000);
  if (nodeEnv === 'production') {
    const missing = (['JWT_SECRET', 'HMAC_SECRET_KEY'] as const).filter((name) => !env[name]);
    if (missing.length > 0) {
      throw new ConfigError(`${missing.join(' and ')} must be set (at least 32 bytes each) when NODE_ENV=production`);
    }
  }
  return Object.freeze(config);
}

/** True when `dataDir` keeps nothing on disk. */
export function isMemoryDataDir(dataDir: string): boolean {
  return dataDir === 'memory://' || dataDir.startsWith('memory://');
}
