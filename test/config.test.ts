import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, parseDurationSec } from '../src/config.js';
import { resolveSecrets } from '../src/secrets.js';

const SECRET = 'x'.repeat(32);

describe('configuration', () => {
  it('defaults to the embedded mode with the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.mode, 'embedded');
    assert.equal(config.port, 3000);
    assert.equal(config.dataDir, './data');
    assert.equal(config.database, null);
    assert.equal(config.redis, null);
    assert.deepEqual(config.rateLimit, { windowMs: 60_000, maxRequests: 10, globalMaxRequests: 1000, apiKeyMaxRequests: 6000 });
    assert.equal(config.timestampToleranceMs, 300_000);
    assert.equal(config.leaderboardPublic, true);
    assert.equal(config.broadcastIntervalMs, 100);
    assert.equal(config.cacheRefreshIntervalMs, 300_000);
    assert.equal(config.autoFreeze, false);
    assert.equal(config.jwtExpiry, '24h');
    assert.equal(config.bodyLimitBytes, 16 * 1024);
    assert.deepEqual([...config.actions.entries()], [
      ['TASK_COMPLETE', { maxScore: 50, minDurationMs: 5000 }],
      ['LEVEL_UP', { maxScore: 100, minDurationMs: 30000 }],
      ['ACHIEVEMENT', { maxScore: 200, minDurationMs: 1000 }],
    ]);
    assert.ok(Object.isFrozen(config));
  });

  it('chooses production when PostgreSQL is configured, from DATABASE_URL or DB_*', () => {
    const byUrl = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/sb', REDIS_URL: 'redis://cache:6379' });
    assert.equal(byUrl.mode, 'production');
    assert.equal(byUrl.database?.poolSize, 20);
    assert.equal(byUrl.redis?.keyPrefix, 'scoreboard:');
    const byParts = loadConfig({ DB_HOST: 'db', DB_USER: 'app', DB_PASSWORD: 'p@ss word', DB_NAME: 'sb', REDIS_HOST: 'cache', REDIS_PASSWORD: 's3cret', REDIS_DB: '2' });
    assert.equal(byParts.database?.url, 'postgres://app:p%40ss%20word@db:5432/sb');
    assert.equal(byParts.redis?.url, 'redis://:s3cret@cache:6379/2');
    // PostgreSQL without Redis is allowed (single instance).
    assert.equal(loadConfig({ DB_HOST: 'db' }).redis, null);
  });

  const bad: [string, Record<string, string>][] = [
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['RATE_LIMIT_MAX_REQUESTS', { RATE_LIMIT_MAX_REQUESTS: '0' }],
    ['RATE_LIMIT_WINDOW_MS', { RATE_LIMIT_WINDOW_MS: '1.5' }],
    ['TIMESTAMP_TOLERANCE_MS', { TIMESTAMP_TOLERANCE_MS: '-1' }],
    ['LEADERBOARD_PUBLIC', { LEADERBOARD_PUBLIC: 'maybe' }],
    ['AUTO_FREEZE', { AUTO_FREEZE: 'yes please' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['REDIS_URL', { REDIS_URL: 'http://x' }],
    ['REDIS_KEY_PREFIX', { REDIS_KEY_PREFIX: 'has space' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['JWT_EXPIRY', { JWT_EXPIRY: 'forever' }],
    ['JWT_SECRET', { JWT_SECRET: 'short' }],
    ['HMAC_SECRET_KEY', { HMAC_SECRET_KEY: 'short' }],
    ['TLS_CERT_FILE', { TLS_CERT_FILE: '/tmp/cert.pem' }],
    ['ACTIONS_CONFIG', { ACTIONS_CONFIG: '/nonexistent/actions.json' }],
    ['DB_POOL_SIZE', { DB_POOL_SIZE: '0' }],
    ['BROADCAST_INTERVAL_MS', { BROADCAST_INTERVAL_MS: 'fast' }],
    ['JWT_JWKS_URL', { JWT_JWKS_URL: 'not a url' }],
    ['JWT_JWKS_URL', { JWT_JWKS_URL: 'http://id.studio.example/jwks.json' }],
    ['JWT_PUBLIC_KEY_FILE', { JWT_PUBLIC_KEY_FILE: '/nonexistent/key.pem' }],
    ['JWT_CLOCK_TOLERANCE_SEC', { JWT_CLOCK_TOLERANCE_SEC: '-5' }],
    ['JWT_CLOCK_TOLERANCE_SEC', { JWT_CLOCK_TOLERANCE_SEC: '3600' }],
    ['JWT_USER_ID_CLAIM', { JWT_USER_ID_CLAIM: 'user id' }],
    ['JWT_USERNAME_CLAIM', { JWT_USERNAME_CLAIM: 'name,,nick' }],
    ['JWT_ADMIN_CLAIM', { JWT_ADMIN_CLAIM: ',' }],
    ['JWT_SECRET_PREVIOUS', { JWT_SECRET_PREVIOUS: 'short' }],
    ['JWT_SECRET_PREVIOUS', { JWT_SECRET_PREVIOUS: SECRET }],
  ];
  for (const [name, env] of bad) {
    it(`refuses a bad ${name} with a message naming it (${JSON.stringify(env)})`, () => {
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && error.message.includes(name));
    });
  }

  it('reports every bad value at once, not one per run', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', RATE_LIMIT_MAX_REQUESTS: 'lots', LOG_LEVEL: 'loud', JWT_EXPIRY: '30d' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 4, error.message);
        for (const name of ['PORT', 'RATE_LIMIT_MAX_REQUESTS', 'LOG_LEVEL', 'JWT_EXPIRY']) assert.ok(error.message.includes(name), name);
        return true;
      },
    );
  });

  it('reads the identity provider settings, with the documented defaults', () => {
    const defaults = loadConfig({});
    assert.deepEqual(defaults.tokens, {
      jwksUrl: null,
      publicKey: null,
      issuer: null,
      audience: null,
      clockToleranceSec: 30,
      claims: { userId: ['userId', 'sub'], username: ['username', 'name'], roles: ['role', 'roles'] },
    });
    assert.equal(defaults.jwtSecretPrevious, undefined);
    const set = loadConfig({
      JWT_SECRET: SECRET,
      JWT_SECRET_PREVIOUS: 'y'.repeat(32),
      JWT_JWKS_URL: 'https://id.studio.example/.well-known/jwks.json',
      JWT_ISSUER: 'https://id.studio.example/',
      JWT_AUDIENCE: 'scoreboard',
      JWT_CLOCK_TOLERANCE_SEC: '5',
      JWT_USER_ID_CLAIM: 'sub',
      JWT_USERNAME_CLAIM: 'preferred_username, name',
      JWT_ADMIN_CLAIM: 'realm_access.roles',
    });
    assert.equal(set.jwtSecretPrevious, 'y'.repeat(32));
    assert.deepEqual(set.tokens, {
      jwksUrl: 'https://id.studio.example/.well-known/jwks.json',
      publicKey: null,
      issuer: 'https://id.studio.example/',
      audience: 'scoreboard',
      clockToleranceSec: 5,
      claims: { userId: ['sub'], username: ['preferred_username', 'name'], roles: ['realm_access.roles'] },
    });
    // Plain http only to this machine (a local JWKS for development).
    assert.equal(loadConfig({ JWT_JWKS_URL: 'http://127.0.0.1:8081/jwks.json' }).tokens.jwksUrl, 'http://127.0.0.1:8081/jwks.json');
  });

  it('reads JWT_PUBLIC_KEY_FILE and refuses a private key, another curve, or both key sources at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-keys-'));
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const pair = generateKeyPairSync('ed25519');
    const publicFile = write('public.pem', pair.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    assert.equal(loadConfig({ JWT_PUBLIC_KEY_FILE: publicFile }).tokens.publicKey?.file, publicFile);
    const privateFile = write('private.pem', pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    assert.throws(() => loadConfig({ JWT_PUBLIC_KEY_FILE: privateFile }), /JWT_PUBLIC_KEY_FILE .* must hold a public key, not a private one/);
    const p384 = write('p384.pem', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'pem' }).toString());
    assert.throws(() => loadConfig({ JWT_PUBLIC_KEY_FILE: p384 }), /JWT_PUBLIC_KEY_FILE .* holds a ec \(secp384r1\) key/);
    assert.throws(() => loadConfig({ JWT_PUBLIC_KEY_FILE: publicFile, JWT_JWKS_URL: 'https://id.studio.example/jwks.json' }), /JWT_JWKS_URL and JWT_PUBLIC_KEY_FILE are exclusive/);
  });

  it('caps token lifetimes: JWT_MAX_AGE (7 days) bounds JWT_EXPIRY', () => {
    assert.equal(loadConfig({}).jwtMaxAgeSec, 7 * 86_400);
    assert.throws(() => loadConfig({ JWT_EXPIRY: '8d' }), /JWT_EXPIRY \(8d\) must not be longer than JWT_MAX_AGE/);
    assert.equal(loadConfig({ JWT_EXPIRY: '8d', JWT_MAX_AGE: '30d' }).jwtMaxAgeSec, 30 * 86_400);
  });

  it('lets commands that sign nothing (migrate) run in production without the secrets', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u@db/sb' }, { requireSecrets: false }).mode, 'production');
  });

  it('refuses to run in production without both secrets', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /JWT_SECRET and HMAC_SECRET_KEY/);
    assert.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }), /HMAC_SECRET_KEY/);
    assert.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, HMAC_SECRET_KEY: 'short' }), /at least 32 bytes/);
    assert.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, HMAC_SECRET_KEY: SECRET }).jwtSecret, SECRET);
  });

  it('reads ACTIONS_CONFIG and validates every entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
    const file = join(dir, 'actions.json');
    writeFileSync(file, JSON.stringify({ level_complete: { maxScore: 500, minDuration: 0 } }));
    assert.deepEqual([...loadConfig({ ACTIONS_CONFIG: file }).actions.keys()], ['LEVEL_COMPLETE']);
    for (const content of ['{', '[]', '{}', '{"A": {"maxScore": 0, "minDuration": 0}}', '{"A": {"maxScore": 1, "minDuration": -1}}', '{"a": {"maxScore": 1, "minDuration": 0}, "A": {"maxScore": 1, "minDuration": 0}}', '{"bad type": {"maxScore": 1, "minDuration": 0}}']) {
      writeFileSync(file, content);
      assert.throws(() => loadConfig({ ACTIONS_CONFIG: file }), /ACTIONS_CONFIG/, content);
    }
  });

  it('parses durations', () => {
    assert.equal(parseDurationSec('24h'), 86_400);
    assert.equal(parseDurationSec('15m'), 900);
    assert.equal(parseDurationSec('3600'), 3600);
    assert.equal(parseDurationSec('2d'), 172_800);
    assert.equal(parseDurationSec('0'), undefined);
    assert.equal(parseDurationSec('soon'), undefined);
  });
});

describe('development secrets', () => {
  it('are generated once, kept under DATA_DIR with mode 0600, and reused', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-secrets-'));
    const first = resolveSecrets(loadConfig({ DATA_DIR: dataDir }));
    assert.deepEqual(first.generated, ['JWT_SECRET', 'HMAC_SECRET_KEY']);
    assert.ok(Buffer.byteLength(first.jwtSecret) >= 32 && Buffer.byteLength(first.hmacSecretKey) >= 32);
    assert.notEqual(first.jwtSecret, first.hmacSecretKey);
    const file = join(dataDir, 'secrets.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).jwtSecret, first.jwtSecret);
    const second = resolveSecrets(loadConfig({ DATA_DIR: dataDir }));
    assert.deepEqual(second.generated, []);
    assert.equal(second.jwtSecret, first.jwtSecret);
    assert.equal(second.hmacSecretKey, first.hmacSecretKey);
  });

  it('configured secrets win, and memory:// keeps nothing on disk', () => {
    const configured = resolveSecrets(loadConfig({ DATA_DIR: 'memory://', JWT_SECRET: SECRET, HMAC_SECRET_KEY: SECRET }));
    assert.deepEqual(configured.generated, []);
    const memory = resolveSecrets(loadConfig({ DATA_DIR: 'memory://' }));
    assert.equal(memory.file, null);
    assert.equal(memory.generated.length, 2);
  });
});
