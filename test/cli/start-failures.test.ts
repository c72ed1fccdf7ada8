import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, SKIP_OUTAGES, sleep } from '../helpers/outage-services.js';
import { createTestDatabase, SKIP_POSTGRES, TEST_DATABASE_URL } from '../helpers/services.js';

const BIN = new URL('../../bin/scoreboard.js', import.meta.url).pathname;
const SECRET = 's'.repeat(32);

/** Runs the command with only the given environment (plus PATH), as an operator would. */
function run(args: string[], env: Record<string, string>, timeoutMs = 60_000) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

/** stderr is exactly the given number of `scoreboard: ...` lines, and no stack trace. */
function assertOneLineEach(stderr: string, lines: number): string[] {
  const shown = stderr.trim().split('\n');
  assert.equal(shown.length, lines, stderr);
  for (const line of shown) assert.match(line, /^scoreboard: /, stderr);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
  return shown;
}

describe('start-up failures a person must diagnose: one line naming the setting, exit 2 for configuration, 1 for runtime', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sb-start-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('reports every bad setting at once', () => {
    const result = run(['start'], { DATA_DIR: dataDir, PORT: 'eighty', RATE_LIMIT_MAX_REQUESTS: 'lots', LOG_LEVEL: 'loud', TRUST_PROXY: 'the moon' });
    assert.equal(result.status, 2);
    const lines = assertOneLineEach(result.stderr, 4);
    for (const name of ['PORT', 'RATE_LIMIT_MAX_REQUESTS', 'LOG_LEVEL', 'TRUST_PROXY']) assert.ok(lines.some((line) => line.includes(name)), name);
  });

  it('the port already in use is reported at once, before the database is even tried (exit 1)', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      // An unreachable database would take its connect timeout to fail: the port must be reported first.
      const result = run(['start'], { DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: 'postgres://app@127.0.0.1:1/none' });
      assert.equal(result.status, 1);
      const [line] = assertOneLineEach(result.stderr, 1);
      assert.match(line!, new RegExp(`PORT ${port} on HOST 127\\.0\\.0\\.1: the address is already in use`));
    } finally {
      holder.close();
    }
  });

  it('an unreachable database names DATABASE_URL without its password (exit 1)', async () => {
    const port = await freePort();
    const result = run(['start'], { DATA_DIR: dataDir, PORT: '0', DATABASE_URL: `postgres://app:hunter2@127.0.0.1:${port}/game` });
    assert.equal(result.status, 1);
    const [line] = assertOneLineEach(result.stderr, 1);
    assert.match(line!, /DATABASE_URL \(postgres:\/\/app:\*\*\*@127\.0\.0\.1:\d+\/game\): cannot connect to PostgreSQL: connect ECONNREFUSED/);
    assert.doesNotMatch(result.stderr, /hunter2/);
  });

  it('DB_* settings are named when they are what was used', async () => {
    const port = await freePort();
    const result = run(['migrate'], { DB_HOST: '127.0.0.1', DB_PORT: String(port), DB_NAME: 'game' });
    assert.equal(result.status, 1);
    assert.match(assertOneLineEach(result.stderr, 1)[0]!, /^scoreboard: DB_HOST\/DB_PORT\/DB_NAME\/DB_USER\/DB_PASSWORD \(postgres:\/\/postgres@127\.0\.0\.1:\d+\/game\): cannot connect/);
  });

  it('a database that does not exist is a setting to fix (exit 2)', { skip: SKIP_POSTGRES }, () => {
    const url = new URL(TEST_DATABASE_URL!);
    url.pathname = '/sb_no_such_database';
    const result = run(['start'], { DATA_DIR: dataDir, PORT: '0', DATABASE_URL: url.toString() });
    assert.equal(result.status, 2);
    assert.match(assertOneLineEach(result.stderr, 1)[0]!, /DATABASE_URL \(.*sb_no_such_database\): the database does not exist/);
  });

  it('scoreboard migrate needs no application secrets, in production too', { skip: SKIP_POSTGRES }, async () => {
    const database = await createTestDatabase();
    try {
      const result = run(['migrate'], { NODE_ENV: 'production', DATABASE_URL: database.url, LOG_LEVEL: 'silent' });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /migrations are up to date \(production mode\)/);
      // Serving still requires them.
      const start = run(['start'], { NODE_ENV: 'production', DATABASE_URL: database.url });
      assert.equal(start.status, 2);
      assert.match(start.stderr, /JWT_SECRET and HMAC_SECRET_KEY must be set/);
    } finally {
      await database.cleanup();
    }
  });

  it('a Redis that refuses the password stops the start (exit 2) instead of running degraded forever', { skip: SKIP_OUTAGES || SKIP_POSTGRES }, async () => {
    const port = await freePort();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', 'right-password'], { stdio: 'ignore' });
    const database = await createTestDatabase();
    try {
      await sleep(300);
      const env = { NODE_ENV: 'production', JWT_SECRET: SECRET, HMAC_SECRET_KEY: SECRET, DATABASE_URL: database.url, PORT: '0' };
      const wrong = run(['start'], { ...env, REDIS_URL: `redis://:wrong-password@127.0.0.1:${port}` });
      assert.equal(wrong.status, 2, wrong.stderr);
      const [line] = assertOneLineEach(wrong.stderr, 1);
      assert.match(line!, new RegExp(`REDIS_URL \\(redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}\\): Redis refused the password: WRONGPASS`));
      const none = run(['start'], { ...env, REDIS_HOST: '127.0.0.1', REDIS_PORT: String(port) });
      assert.equal(none.status, 2, none.stderr);
      assert.match(assertOneLineEach(none.stderr, 1)[0]!, /REDIS_HOST\/REDIS_PORT\/REDIS_PASSWORD\/REDIS_DB .*: Redis refused the password: NOAUTH/);
    } finally {
      redis.kill('SIGKILL');
      await database.cleanup();
    }
  });
});
