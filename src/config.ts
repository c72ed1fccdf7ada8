import { readFileSync } from 'node:fs';
import { DEFAULT_THRESHOLDS, type AnomalyThresholds } from './integrity/anomaly-detectors.js';
import { parseBoardsFile } from './boards/board-file.js';
import type { BoardDefinition } from './boards/board.js';
import { DEFAULT_CLAIM_NAMES, type ClaimNames } from './auth/principal.js';
import { publicKeyAlgorithm } from './auth/token-keys.js';
import { actionNamesOf, DEFAULT_ACTIONS, parseActionCatalogue, type ActionCatalogue } from './scores/action-catalogue.js';

export type Mode = 'embedded' | 'production';

export interface DatabaseConfig {
  /** A `postgres://` connection string; built from `DB_*` when `DATABASE_URL` is absent. */
  url: string;
  poolSize: number;
  /** The variable(s) it came from, for messages. */
  source: 'DATABASE_URL' | 'DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD';
}

export interface RedisConfig {
  url: string;
  keyPrefix: string;
  /** The variable(s) it came from, for messages. */
  source: 'REDIS_URL' | 'REDIS_HOST/REDIS_PORT/REDIS_PASSWORD/REDIS_DB';
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
  /** JWT_SECRET_PREVIOUS: still accepted for HS256 while tokens signed with it live (a rotation). */
  jwtSecretPrevious: string | undefined;
  hmacSecretKey: string | undefined;
  /** HMAC_SECRET_KEY_PREVIOUS: also accepted for signatures while game builds move to a new key. */
  hmacSecretKeyPrevious: string | undefined;
  /** Tokens from an identity provider, and what every token is checked and read for (`JWT_*`). */
  tokens: TokenConfig;
  /** Lifetime of tokens the service itself issues (`scoreboard token`, the development token). */
  jwtExpiry: string;
  /** Longest lifetime a token may have (`exp` - `iat`, or `exp` - now without `iat`). */
  jwtMaxAgeSec: number;
  rateLimit: {
    windowMs: number;
    /** Per user, per window. */
    maxRequests: number;
    /** Per client IP address, per window, over every score-update route. */
    globalMaxRequests: number;
    /** Per game-server key, per window, over the server routes (`API_KEY_RATE_LIMIT_MAX_REQUESTS`). */
    apiKeyMaxRequests: number;
  };
  /** Exports of one user's data per hour (the route is heavy; each one streams the whole history). */
  exportMaxPerHour: number;
  timestampToleranceMs: number;
  actions: ActionCatalogue;
  /** `BOARDS_CONFIG`: board definitions applied at every start (created or updated, never deleted). */
  boards: { file: string; definitions: BoardDefinition[] } | null;
  leaderboardPublic: boolean;
  broadcastIntervalMs: number;
  /** How often signed-in players' ranks are re-read, so they hear of being overtaken. */
  rankWatchIntervalMs: number;
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
  http: {
    /** Node's headersTimeout: the whole header block must arrive within it. */
    headersTimeoutMs: number;
    /** Node's requestTimeout: headers and body must arrive within it. */
    requestTimeoutMs: number;
    /** Open TCP connections per client address (trusted proxies excepted); 0: no cap. */
    maxConnectionsPerIp: number;
  };
  sockets: {
    /** Socket.IO connections (WebSocket or polling sessions) per client address; 0: no cap. */
    maxPerIp: number;
    /** A socket whose unsent output passes this is disconnected (a client that stopped reading). */
    maxBufferedBytes: number;
  };
}

export interface TokenConfig {
  /** JWT_JWKS_URL: the provider's JWKS document (RS256, ES256, EdDSA tokens). */
  jwksUrl: string | null;
  /** JWT_PUBLIC_KEY_FILE: one PEM public key instead; its type sets the one algorithm accepted. */
  publicKey: { file: string; pem: string } | null;
  /** JWT_ISSUER / JWT_AUDIENCE: checked on every token when set. */
  issuer: string | null;
  audience: string | null;
  /** JWT_CLOCK_TOLERANCE_SEC: clock difference allowed between a token's issuer and this server. */
  clockToleranceSec: number;
  /** JWT_USER_ID_CLAIM, JWT_USERNAME_CLAIM, JWT_ADMIN_CLAIM. */
  claims: ClaimNames;
}

/** One or more bad settings; `problems` names each, and the message lists them all. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.join('; '));
    this.name = 'ConfigError';
    this.problems = list;
  }
}

/**
 * A start-up failure a person must diagnose (the database unreachable or missing, the port in use,
 * Redis refusing its password): one line naming the setting and what was tried. Exit code 2 when a
 * setting must change (configuration), 1 when something outside may recover (runtime).
 */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'StartupError';
  }
}

/** A connection URL fit for a message: the password replaced by `***`. */
export function displayUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads variables and collects every problem instead of stopping at the first: an operator fixing
 * a deployment sees them all in one run. Each reader returns its fallback after a problem, so the
 * rest can still be checked.
 */
class EnvReader {
  readonly problems: string[] = [];

  constructor(readonly env: Env) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  text(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.text(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw)) {
      this.problem(`${name} must be an integer, got "${raw}"`);
      return fallback;
    }
    const value = Number(raw);
    if (value < min || value > max) {
      this.problem(`${name} must be between ${min} and ${max}, got ${value}`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.text(name);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lower)) return true;
    if (['false', '0', 'no', 'off'].includes(lower)) return false;
    this.problem(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  decimal(name: string, fallback: number, min: number, max: number): number {
    const raw = this.text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || value < min || value > max) {
      this.problem(`${name} must be a number between ${min} and ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.text(name) ?? fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problem(`${name} must be one of ${allowed.join(', ')}; got "${raw}"`);
    return fallback;
  }

  /** A duration like `24h`, `15m`, `7d` or a number of seconds, in seconds. */
  durationSec(name: string, fallback: string): number {
    const raw = this.text(name) ?? fallback;
    const seconds = parseDurationSec(raw);
    if (seconds !== undefined) return seconds;
    this.problem(`${name} must be a duration like 24h, 15m, 7d or 3600 (seconds), got "${raw}"`);
    return parseDurationSec(fallback)!;
  }

  secret(name: string): string | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return undefined;
    if (Buffer.byteLength(raw, 'utf8') < 32) {
      this.problem(`${name} must be at least 32 bytes long`);
      return undefined;
    }
    return raw;
  }
}

function anomalyThresholds(read: EnvReader): AnomalyThresholds {
  const d = DEFAULT_THRESHOLDS;
  return {
    windowMs: read.integer('ANOMALY_WINDOW_MS', d.windowMs, 10_000, 86_400_000),
    zScore: read.decimal('ANOMALY_ZSCORE', d.zScore, 1, 100),
    minPopulation: read.integer('ANOMALY_MIN_POPULATION', d.minPopulation, 3, 1_000_000),
    minSamples: read.integer('ANOMALY_MIN_SAMPLES', d.minSamples, 1, 10_000),
    regularityCv: read.decimal('ANOMALY_REGULARITY_CV', d.regularityCv, 0, 1),
    regularitySamples: read.integer('ANOMALY_REGULARITY_SAMPLES', d.regularitySamples, 3, 24),
    distinctIps: read.integer('ANOMALY_DISTINCT_IPS', d.distinctIps, 2, 10_000),
    signatureFailures: read.integer('ANOMALY_SIGNATURE_FAILURES', d.signatureFailures, 1, 10_000),
    tooFastRefusals: read.integer('ANOMALY_TOO_FAST_REFUSALS', d.tooFastRefusals, 1, 10_000),
    maxScoreShare: read.decimal('ANOMALY_MAX_SCORE_SHARE', d.maxScoreShare, 0.1, 1),
    maxScoreSamples: read.integer('ANOMALY_MAX_SCORE_SAMPLES', d.maxScoreSamples, 2, 10_000),
  };
}

function webhookUrl(read: EnvReader): string | null {
  const raw = read.text('ALERT_WEBHOOK_URL');
  if (!raw) return null;
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString();
  } catch {
    // Falls through to the problem below.
  }
  read.problem(`ALERT_WEBHOOK_URL must be an http(s) URL, got "${raw}"`);
  return null;
}

function trustProxy(read: EnvReader): Config['trustProxy'] {
  const raw = read.text('TRUST_PROXY');
  if (raw === undefined || ['false', '0', 'no', 'off'].includes(raw.toLowerCase())) return false;
  if (['true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (/^\d+$/.test(raw)) return read.integer('TRUST_PROXY', 0, 0, 100);
  const proxies = raw.split(',').map((part) => part.trim()).filter(Boolean);
  if (!proxies.every((proxy) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(proxy))) {
    read.problem(`TRUST_PROXY must be true, false, a hop count or a comma-separated list of proxy addresses/CIDRs, got "${raw}"`);
    return false;
  }
  return proxies;
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

/** A comma-separated list of claim names (`userId,sub`), tried in order. */
function claimNames(read: EnvReader, name: string, fallback: readonly string[]): readonly string[] {
  const raw = read.text(name);
  if (raw === undefined) return fallback;
  const names = raw.split(',').map((part) => part.trim());
  if (names.some((claim) => !/^[\x21-\x7e]{1,128}$/.test(claim))) {
    read.problem(`${name} must be claim names separated by commas (printable, no spaces), got "${raw}"`);
    return fallback;
  }
  return names;
}

function jwksUrl(read: EnvReader): string | null {
  const raw = read.text('JWT_JWKS_URL');
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    read.problem(`JWT_JWKS_URL must be an https URL, got "${raw}"`);
    return null;
  }
  // Plain http only to this machine: keys fetched in the clear could be swapped on the way.
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    read.problem(`JWT_JWKS_URL must be an https URL (http only for localhost), got "${displayUrl(raw)}"`);
    return null;
  }
  return url.toString();
}

function publicKeyFile(read: EnvReader): TokenConfig['publicKey'] {
  const file = read.text('JWT_PUBLIC_KEY_FILE');
  if (!file) return null;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    read.problem(`JWT_PUBLIC_KEY_FILE: cannot read ${file}: ${(error as Error).message}`);
    return null;
  }
  const key = publicKeyAlgorithm(pem);
  if ('problem' in key) {
    read.problem(`JWT_PUBLIC_KEY_FILE (${file}) ${key.problem}`);
    return null;
  }
  return { file, pem };
}

function tokenConfig(read: EnvReader): TokenConfig {
  const config: TokenConfig = {
    jwksUrl: jwksUrl(read),
    publicKey: publicKeyFile(read),
    issuer: read.text('JWT_ISSUER') ?? null,
    audience: read.text('JWT_AUDIENCE') ?? null,
    clockToleranceSec: read.integer('JWT_CLOCK_TOLERANCE_SEC', 30, 0, 600),
    claims: {
      userId: claimNames(read, 'JWT_USER_ID_CLAIM', DEFAULT_CLAIM_NAMES.userId),
      username: claimNames(read, 'JWT_USERNAME_CLAIM', DEFAULT_CLAIM_NAMES.username),
      roles: claimNames(read, 'JWT_ADMIN_CLAIM', DEFAULT_CLAIM_NAMES.roles),
    },
  };
  if (read.text('JWT_JWKS_URL') && read.text('JWT_PUBLIC_KEY_FILE')) read.problem('JWT_JWKS_URL and JWT_PUBLIC_KEY_FILE are exclusive: set one');
  return config;
}

function databaseConfig(read: EnvReader): DatabaseConfig | null {
  const poolSize = read.integer('DB_POOL_SIZE', 20, 1, 1000);
  const url = read.text('DATABASE_URL');
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) read.problem('DATABASE_URL must be a postgres:// or postgresql:// URL');
    return { url, poolSize, source: 'DATABASE_URL' };
  }
  const host = read.text('DB_HOST');
  if (!host) return null;
  const port = read.integer('DB_PORT', 5432, 1, 65535);
  const name = read.text('DB_NAME') ?? 'scoreboard';
  const user = read.text('DB_USER') ?? 'postgres';
  const password = read.env.DB_PASSWORD ?? '';
  const auth = password ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}` : encodeURIComponent(user);
  return { url: `postgres://${auth}@${host}:${port}/${encodeURIComponent(name)}`, poolSize, source: 'DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD' };
}

function redisConfig(read: EnvReader): RedisConfig | null {
  let keyPrefix = read.text('REDIS_KEY_PREFIX') ?? 'scoreboard:';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(keyPrefix)) {
    read.problem('REDIS_KEY_PREFIX must be 1 to 64 characters of letters, digits, _ . : -');
    keyPrefix = 'scoreboard:';
  }
  const url = read.text('REDIS_URL');
  if (url) {
    if (!/^rediss?:\/\//.test(url)) read.problem('REDIS_URL must be a redis:// or rediss:// URL');
    return { url, keyPrefix, source: 'REDIS_URL' };
  }
  const host = read.text('REDIS_HOST');
  if (!host) return null;
  const port = read.integer('REDIS_PORT', 6379, 1, 65535);
  const db = read.integer('REDIS_DB', 0, 0, 1024);
  const password = read.env.REDIS_PASSWORD;
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  return { url: `redis://${auth}${host}:${port}/${db}`, keyPrefix, source: 'REDIS_HOST/REDIS_PORT/REDIS_PASSWORD/REDIS_DB' };
}

/** `BOARDS_CONFIG`: a JSON array of board definitions, each checked as the admin API checks one. */
function boardsConfig(read: EnvReader, actions: ActionCatalogue): Config['boards'] {
  const file = read.text('BOARDS_CONFIG');
  if (!file) return null;
  const parsed = parseBoardsFile(readBoardsFile(file, read), actionNamesOf(actions));
  if (!parsed.ok) {
    for (const problem of parsed.problems) read.problem(`BOARDS_CONFIG (${file}): ${problem}`);
    return null;
  }
  return { file, definitions: parsed.definitions };
}

function readBoardsFile(file: string, read: EnvReader): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    read.problem(`BOARDS_CONFIG: cannot read JSON from ${file}: ${(error as Error).message}`);
    return [];
  }
}

function actionCatalogue(read: EnvReader): ActionCatalogue {
  const file = read.text('ACTIONS_CONFIG');
  const fallback = () => parseActionCatalogue(DEFAULT_ACTIONS, 'default actions');
  if (!file) return fallback();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    read.problem(`ACTIONS_CONFIG: cannot read JSON from ${file}: ${(error as Error).message}`);
    return fallback();
  }
  try {
    return parseActionCatalogue(raw, `ACTIONS_CONFIG (${file})`);
  } catch (error) {
    read.problem((error as Error).message);
    return fallback();
  }
}

export interface LoadConfigOptions {
  /**
   * False for commands that never sign or verify anything (`scoreboard migrate`): production then
   * does not insist on JWT_SECRET and HMAC_SECRET_KEY. @default true
   */
  requireSecrets?: boolean;
}

/**
 * Reads and validates the whole environment once; the result is frozen and is the only
 * place the rest of the code learns configuration from.
 * @throws ConfigError naming every bad variable at once.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): Config {
  const read = new EnvReader(env);
  const nodeEnv = read.oneOf('NODE_ENV', 'development', ['development', 'production', 'test'] as const);
  const logLevel = read.oneOf('LOG_LEVEL', nodeEnv === 'test' ? 'silent' : 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const);
  const database = databaseConfig(read);
  const redis = redisConfig(read);
  const jwtExpiry = read.text('JWT_EXPIRY') ?? '24h';
  const jwtExpirySec = read.durationSec('JWT_EXPIRY', '24h');
  const jwtMaxAgeSec = read.durationSec('JWT_MAX_AGE', '7d');
  if (jwtExpirySec > jwtMaxAgeSec) read.problem(`JWT_EXPIRY (${jwtExpiry}) must not be longer than JWT_MAX_AGE (${read.text('JWT_MAX_AGE') ?? '7d'})`);

  const certFile = read.text('TLS_CERT_FILE');
  const keyFile = read.text('TLS_KEY_FILE');
  if (Boolean(certFile) !== Boolean(keyFile)) read.problem('TLS_CERT_FILE and TLS_KEY_FILE must be set together');

  const host = read.text('HOST') ?? '0.0.0.0';
  const corsOrigins = (read.text('CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  const maxRequests = read.integer('RATE_LIMIT_MAX_REQUESTS', 10, 1, 100_000_000);
  const actions = actionCatalogue(read);
  const headersTimeoutMs = read.integer('HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  const requestTimeoutMs = read.integer('HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  if (requestTimeoutMs < headersTimeoutMs) read.problem('HTTP_REQUEST_TIMEOUT_MS must not be shorter than HTTP_HEADERS_TIMEOUT_MS');

  const config: Config = {
    mode: database ? 'production' : 'embedded',
    port: read.integer('PORT', 3000, 0, 65535),
    host,
    nodeEnv,
    logLevel,
    dataDir: read.text('DATA_DIR') ?? './data',
    database,
    redis,
    jwtSecret: read.secret('JWT_SECRET'),
    jwtSecretPrevious: read.secret('JWT_SECRET_PREVIOUS'),
    hmacSecretKey: read.secret('HMAC_SECRET_KEY'),
    hmacSecretKeyPrevious: read.secret('HMAC_SECRET_KEY_PREVIOUS'),
    jwtExpiry,
    jwtMaxAgeSec,
    tokens: tokenConfig(read),
    rateLimit: {
      windowMs: read.integer('RATE_LIMIT_WINDOW_MS', 60_000, 1000, 86_400_000),
      maxRequests,
      globalMaxRequests: read.integer('RATE_LIMIT_GLOBAL_MAX_REQUESTS', 1000, 1, 1_000_000_000),
      apiKeyMaxRequests: read.integer('API_KEY_RATE_LIMIT_MAX_REQUESTS', 6000, 1, 1_000_000_000),
    },
    exportMaxPerHour: read.integer('EXPORT_RATE_LIMIT_MAX_REQUESTS', 10, 1, 1_000_000),
    timestampToleranceMs: read.integer('TIMESTAMP_TOLERANCE_MS', 300_000, 1000, 86_400_000),
    actions,
    boards: boardsConfig(read, actions),
    leaderboardPublic: read.boolean('LEADERBOARD_PUBLIC', true),
    broadcastIntervalMs: read.integer('BROADCAST_INTERVAL_MS', 100, 10, 60_000),
    rankWatchIntervalMs: read.integer('RANK_WATCH_INTERVAL_MS', 1000, 50, 5000),
    cacheRefreshIntervalMs: read.integer('CACHE_REFRESH_INTERVAL_MS', 300_000, 0, 86_400_000),
    autoFreeze: read.boolean('AUTO_FREEZE', false),
    anomaly: anomalyThresholds(read),
    flaggedMaxRequests: read.integer('FLAGGED_RATE_LIMIT_MAX_REQUESTS', Math.max(1, Math.floor(maxRequests / 5)), 1, 100_000_000),
    flagPenaltyMs: read.integer('FLAG_PENALTY_MS', 3_600_000, 1000, 30 * 86_400_000),
    alertWebhookUrl: webhookUrl(read),
    corsOrigins,
    tls: certFile && keyFile ? { certFile, keyFile } : null,
    bodyLimitBytes: read.integer('BODY_LIMIT_BYTES', 16 * 1024, 1024, 10 * 1024 * 1024),
    trustProxy: trustProxy(read),
    http: {
      headersTimeoutMs,
      requestTimeoutMs,
      maxConnectionsPerIp: read.integer('HTTP_MAX_CONNECTIONS_PER_IP', 256, 0, 1_000_000),
    },
    sockets: {
      maxPerIp: read.integer('SOCKET_MAX_CONNECTIONS_PER_IP', 256, 0, 1_000_000),
      maxBufferedBytes: read.integer('SOCKET_MAX_BUFFERED_BYTES', 1024 * 1024, 16 * 1024, 1024 * 1024 * 1024),
    },
  };
  if (env.JWT_SECRET_PREVIOUS && !env.JWT_SECRET) read.problem('JWT_SECRET_PREVIOUS is the secret being rotated out: it needs JWT_SECRET, the new one');
  if (nodeEnv === 'production' && options.requireSecrets !== false) {
    const missing = (['JWT_SECRET', 'HMAC_SECRET_KEY'] as const).filter((name) => !env[name]);
    if (missing.length > 0) read.problem(`${missing.join(' and ')} must be set (at least 32 bytes each) when NODE_ENV=production`);
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return Object.freeze(config);
}

/** True when `dataDir` keeps nothing on disk. */
export function isMemoryDataDir(dataDir: string): boolean {
  return dataDir === 'memory://' || dataDir.startsWith('memory://');
}
