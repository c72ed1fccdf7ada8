import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createTestDatabase, SKIP_POSTGRES } from '../helpers/services.js';

const BIN = new URL('../../bin/scoreboard.js', import.meta.url).pathname;

function run(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

/** Starts `scoreboard start` on a free port and resolves with its URL once it listens. */
function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'start'], {
    env: { ...process.env, NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Scoreboard \(\w+ mode\) on (http:\/\/[\d.:]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

describe('the scoreboard command', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sb-cli-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints usage, and refuses unknown commands and bad options', () => {
    assert.match(run(['help'], { DATA_DIR: dataDir }).stdout, /Usage: scoreboard/);
    const unknown = run(['frobnicate'], { DATA_DIR: dataDir });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command/);
    assert.equal(run(['token'], { DATA_DIR: dataDir }).status, 2);
    assert.equal(run(['token', '--user', 'y'.repeat(256)], { DATA_DIR: dataDir }).status, 2);
    assert.equal(run(['token', '--user', 'café'], { DATA_DIR: dataDir }).status, 2);
  });

  it('stops with a message that names a bad configuration value', () => {
    const result = run(['token', '--user', 'x'], { DATA_DIR: dataDir, RATE_LIMIT_MAX_REQUESTS: 'lots' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /RATE_LIMIT_MAX_REQUESTS/);
  });

  it('token and sign give what a running server accepts (the README walk-through), and SIGTERM exits 0', async () => {
    const env = { DATA_DIR: dataDir };
    const server = await startServer(env);
    try {
      assert.match(server.output(), /Development token for user "dev-player"/);
      const token = run(['token', '--user', 'cli-player', '--username', 'CLI Player'], env);
      assert.equal(token.status, 0, token.stderr);
      assert.match(token.stdout, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      const signed = run(['sign', '--action', 'ACHIEVEMENT', '--score', '150'], env);
      assert.equal(signed.status, 0, signed.stderr);
      const body = JSON.parse(signed.stdout);
      assert.equal(body.scoreIncrement, 150);
      assert.match(body.clientSignature, /^[0-9a-f]{64}$/);

      const response = await fetch(`${server.url}/api/v1/scores/update`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.stdout}`, 'content-type': 'application/json' },
        body: signed.stdout,
      });
      assert.equal(response.status, 200);
      const { data } = (await response.json()) as { data: { userId: string; newScore: number; rank: number } };
      assert.deepEqual([data.userId, data.newScore, data.rank], ['cli-player', 150, 1]);

      const admin = run(['token', '--user', 'ops', '--admin', '--expires', '15m'], env);
      const payload = JSON.parse(Buffer.from(admin.stdout.split('.')[1]!, 'base64url').toString());
      assert.equal(payload.role, 'admin');
      assert.ok(payload.exp - payload.iat === 900);
      // With JWT_ISSUER and JWT_AUDIENCE set (they apply to every token), its tokens carry them.
      const checked = run(['token', '--user', 'ops'], { ...env, JWT_ISSUER: 'https://id.studio.test/', JWT_AUDIENCE: 'scoreboard' });
      const checkedPayload = JSON.parse(Buffer.from(checked.stdout.split('.')[1]!, 'base64url').toString());
      assert.deepEqual([checkedPayload.iss, checkedPayload.aud], ['https://id.studio.test/', 'scoreboard']);

      const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
      server.child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('keeps scores across a restart in the embedded mode (PGlite on disk)', async () => {
    const env = { DATA_DIR: dataDir };
    const server = await startServer(env);
    try {
      const response = await fetch(`${server.url}/api/v1/scores/leaderboard`);
      const { data } = (await response.json()) as { data: { leaderboard: { userId: string; score: number }[] } };
      assert.deepEqual(data.leaderboard.map((e) => [e.userId, e.score]), [['cli-player', 150]]);
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((resolve) => server.child.once('exit', resolve));
    }
  });

  it('production mode refuses to start without secrets', () => {
    const result = run(['start'], { NODE_ENV: 'production', DATA_DIR: dataDir, JWT_SECRET: '', HMAC_SECRET_KEY: '' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /JWT_SECRET and HMAC_SECRET_KEY must be set/);
  });
});

describe('scoreboard migrate on PostgreSQL', { skip: SKIP_POSTGRES }, () => {
  it('creates the schema and is idempotent', async () => {
    const database = await createTestDatabase();
    try {
      for (let i = 0; i < 2; i++) {
        const result = run(['migrate'], { DATABASE_URL: database.url, LOG_LEVEL: 'silent' });
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /up to date \(production mode\)/);
      }
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const { rows } = await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
      await client.end();
      assert.deepEqual(rows.map((r) => r.table_name), [
        'api_keys',
        'board_catalogue',
        'board_entries',
        'boards',
        'schema_migrations',
        'score_history',
        'scores',
        'suspicious_activity',
        'users',
      ]);
    } finally {
      await database.cleanup();
    }
  });
});
