import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { signSubmission } from '../../src/boards/board-signature.js';
import { rankKey } from '../../src/boards/ordered-rank-index.js';
import { ConfigError, StartupError } from '../../src/config.js';
import { migrate, readMigrations } from '../../src/db/migrations.js';
import { PgSqlClient } from '../../src/db/sql-client-pg.js';
import { PgliteSqlClient } from '../../src/db/sql-client-pglite.js';
import type { SqlClient } from '../../src/db/sql-client.js';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, TEST_HMAC_KEY, type TestApp } from '../helpers/app.js';
import { sleep, waitFor } from '../helpers/outage-services.js';
import { createTestDatabase, createTestRedis, SKIP_POSTGRES, SKIP_REDIS, TEST_REDIS_URL } from '../helpers/services.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function boardsFile(definitions: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-boards-'));
  dirs.push(dir);
  const file = join(dir, 'boards.json');
  writeFileSync(file, JSON.stringify(definitions));
  return file;
}

function submission(boardId: string, score: number) {
  const unsigned = { actionId: randomUUID(), score, timestamp: new Date().toISOString() };
  return { ...unsigned, clientSignature: signSubmission(TEST_HMAC_KEY, { ...unsigned, boardId }) };
}

async function getJson(t: TestApp, url: string) {
  const response = await t.app.inject({ method: 'GET', url });
  return response.json();
}

describe('BOARDS_CONFIG', () => {
  it('refuses a file with bad definitions at configuration time, naming each entry and field at once', async () => {
    const file = boardsFile([{ id: 'ok' }, { id: 'Bad' }, { id: 'two', timezone: 'Nowhere/Else', sortOrder: 'up' }]);
    await assert.rejects(
      () => createTestApp('embedded', { BOARDS_CONFIG: file }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.problems.join('\n');
        assert.match(text, /BOARDS_CONFIG .*\[1\] \(Bad\)\.id/);
        assert.match(text, /\[2\] \(two\)\.timezone/);
        assert.match(text, /\[2\] \(two\)\.sortOrder/);
        return true;
      },
    );
  });

  for (const { mode, skip } of MODES) {
    it(`creates and updates boards at every start, never deletes, and refuses to change a fixed field (${mode})`, { skip }, async () => {
      const database = mode === 'production' ? await createTestDatabase() : null;
      const redis = mode === 'production' ? await createTestRedis() : null;
      const dataDir = mkdtempSync(join(tmpdir(), 'sb-data-'));
      dirs.push(dataDir);
      const storage: Record<string, string> = database
        ? { DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL!, REDIS_KEY_PREFIX: redis!.keyPrefix }
        : { DATA_DIR: dataDir };
      try {
        const first = await createTestApp(mode, { ...storage, BOARDS_CONFIG: boardsFile([{ id: 'daily', reset: 'daily' }, { id: 'kept' }]) });
        assert.equal((await first.app.inject({ method: 'POST', url: '/api/v1/boards/kept/scores', headers: { authorization: `Bearer ${first.token('ann')}` }, payload: submission('kept', 7) })).statusCode, 200);
        await first.close();
        const second = await createTestApp(mode, { ...storage, BOARDS_CONFIG: boardsFile([{ id: 'daily', reset: 'daily', title: 'Daily' }]) });
        const ids = (await getJson(second, '/api/v1/boards')).data.boards.map((b: { id: string; title: string }) => `${b.id}:${b.title}`);
        assert.deepEqual(ids, ['global:Global', 'daily:Daily', 'kept:kept']);
        assert.equal((await getJson(second, '/api/v1/boards/kept/entries')).data.entries[0].score, 7);
        await second.close();
        await assert.rejects(
          () => createTestApp(mode, { ...storage, BOARDS_CONFIG: boardsFile([{ id: 'daily', reset: 'weekly', title: 'Changed' }]) }),
          (error: unknown) => error instanceof StartupError && error.exitCode === 2 && /daily.*reset cannot change/.test(error.message),
        );
      } finally {
        await database?.cleanup();
        await redis?.cleanup();
      }
    });
  }
});

describe('boards across two instances (production)', { skip: SKIP_POSTGRES || SKIP_REDIS }, () => {
  it('an instance learns of a board another created, without a restart, and reads what the other wrote', async () => {
    const database = await createTestDatabase();
    const redis = await createTestRedis();
    const env = { DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL!, REDIS_KEY_PREFIX: redis.keyPrefix };
    const a = await createTestApp('production', env);
    const b = await createTestApp('production', env);
    try {
      const created = await a.app.inject({ method: 'POST', url: '/api/v1/admin/boards', headers: { authorization: `Bearer ${a.token('root', { role: 'admin' })}` }, payload: { id: 'speedrun', sortOrder: 'asc', operator: 'best' } });
      assert.equal(created.statusCode, 201);
      const { ms } = await waitFor(async () => (await b.app.inject({ method: 'GET', url: '/api/v1/boards/speedrun' })).statusCode === 200 || undefined, 5000, 'board seen by b');
      assert.ok(ms < 2000, `seen after ${ms} ms`);
      const submitted = await b.app.inject({ method: 'POST', url: '/api/v1/boards/speedrun/scores', headers: { authorization: `Bearer ${b.token('ann')}` }, payload: submission('speedrun', 90_000) });
      assert.equal(submitted.statusCode, 200, submitted.body);
      assert.equal((await getJson(a, '/api/v1/boards/speedrun/entries/ann')).data.entry.rank, 1);
      await a.app.inject({ method: 'DELETE', url: '/api/v1/admin/boards/speedrun', headers: { authorization: `Bearer ${a.token('root', { role: 'admin' })}` } });
      await waitFor(async () => (await b.app.inject({ method: 'GET', url: '/api/v1/boards/speedrun' })).statusCode === 404 || undefined, 5000, 'deletion seen by b');
    } finally {
      await a.close();
      await b.close();
      await database.cleanup();
      await redis.cleanup();
    }
  });
});

/** The schema of the release before boards: migrations up to 003. */
async function oldSchemaWithData(sql: SqlClient): Promise<void> {
  await migrate(sql, readMigrations().filter((migration) => migration.version < '004'));
  await sql.exec(`
    INSERT INTO users (id, username) VALUES ('ann', 'Ann'), ('ben', 'Ben'), ('cat', 'Cat');
    INSERT INTO scores (user_id, score, last_updated, total_actions, first_action, last_action) VALUES
      ('ann', 300, '2026-11-01T10:00:00.123Z', 3, '2026-11-01T09:00:00Z', '2026-11-01T10:00:00.123Z'),
      ('ben', 300, '2026-11-01T09:30:00.456Z', 2, '2026-11-01T09:00:00Z', '2026-11-01T09:30:00.456Z'),
      ('cat', 50, '2026-11-02T00:00:00.000Z', 1, '2026-11-02T00:00:00Z', '2026-11-02T00:00:00Z');
    INSERT INTO score_history (user_id, action_id, action_type, score_increment, score_before, score_after, created_at) VALUES
      ('cat', '${randomUUID()}', 'TASK_COMPLETE', 50, 0, 50, '2026-11-02T00:00:00Z');
  `);
}

for (const { mode, skip } of MODES) {
  describe(`upgrade in place from the release before boards (${mode})`, { skip }, () => {
    it('migrates the old data at start: global reads the same, with every tie-break time and history row', async () => {
      const database = mode === 'production' ? await createTestDatabase() : null;
      const dataDir = mkdtempSync(join(tmpdir(), 'sb-upgrade-'));
      dirs.push(dataDir);
      const sql: SqlClient = database ? new PgSqlClient({ url: database.url, poolSize: 2 }) : await PgliteSqlClient.open({ dataDir: join(dataDir, 'pglite') });
      await oldSchemaWithData(sql);
      await sql.close();
      const env: Record<string, string> = database ? { DATABASE_URL: database.url } : { DATA_DIR: dataDir };
      const t = await createTestApp(mode, { ...env, ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
      try {
        const board = (await getJson(t, '/api/v1/scores/leaderboard')).data.leaderboard;
        assert.deepEqual(board.map((e: { rank: number; userId: string; score: number; lastUpdated: string }) => [e.rank, e.userId, e.score, e.lastUpdated]), [
          [1, 'ben', 300, '2026-11-01T09:30:00.456Z'],
          [2, 'ann', 300, '2026-11-01T10:00:00.123Z'],
          [3, 'cat', 50, '2026-11-02T00:00:00.000Z'],
        ]);
        const entries = (await getJson(t, '/api/v1/boards/global/entries')).data;
        assert.deepEqual(entries.entries.map((e: { userId: string }) => e.userId), ['ben', 'ann', 'cat']);
        assert.equal(entries.totalEntries, 3);
        const history = await t.app.inject({ method: 'GET', url: '/api/v1/scores/user/cat/history', headers: { authorization: `Bearer ${t.token('cat')}` } });
        assert.equal(history.json().data.history.length, 1);
        assert.equal((await t.post('cat', t.body({ scoreIncrement: 50 }))).json().data.newScore, 100);
        assert.equal((await getJson(t, '/api/v1/boards/global/entries/cat')).data.entry.score, 100);
      } finally {
        await t.close();
        await database?.cleanup();
      }
    });
  });
}

// Both modes at once: each waits for a minute's boundary.
describe('periods over time', { concurrency: true }, () => {
  for (const { mode, skip } of MODES) it(`rolls a board over at its boundary: the new period starts empty, the ended one reads as previous (${mode})`, { timeout: 90_000, skip }, async () => {
    const t = await createTestApp(mode);
    try {
      const admin = { authorization: `Bearer ${t.token('root', { role: 'admin' })}` };
      // Far enough from a minute's end that the submissions land in this minute.
      const untilNextMinute = () => 60_000 - (Date.now() % 60_000);
      if (untilNextMinute() < 5000) await sleep(untilNextMinute() + 100);
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/admin/boards', headers: admin, payload: { id: 'minutely', reset: '* * * * *', keepPeriods: 1 } })).statusCode, 201);
      const started = (await getJson(t, '/api/v1/boards/minutely')).data.period;
      for (const [user, score] of [['ann', 5], ['ben', 9]] as const) {
        const response = await t.app.inject({ method: 'POST', url: '/api/v1/boards/minutely/scores', headers: { authorization: `Bearer ${t.token(user)}` }, payload: submission('minutely', score) });
        assert.equal(response.statusCode, 200, response.body);
      }
      assert.equal((await getJson(t, '/api/v1/boards/minutely/entries/ben')).data.entry.rank, 1);
      await sleep(untilNextMinute() + 1200);
      const now = (await getJson(t, '/api/v1/boards/minutely')).data;
      assert.equal(now.period.startsAt, started.endsAt);
      assert.equal(now.totalEntries, 0);
      if (t.backends.redis) {
        // The ended period's sorted set is dropped (its reads come from SQL); the new one is live.
        const prefix = t.config.redis!.keyPrefix;
        await waitFor(async () => (await t.backends.redis!.keys(`${prefix}*minutely@${started.id}*`)).length === 0 || undefined, 5000, 'ended set dropped');
        assert.equal(await t.backends.rankIndex.count(rankKey('minutely', started.id)), 0);
      }
      const previous = (await getJson(t, '/api/v1/boards/minutely/entries?period=previous')).data;
      assert.equal(previous.period.id, started.id);
      assert.deepEqual(previous.entries.map((e: { userId: string }) => e.userId), ['ben', 'ann']);
      assert.equal((await getJson(t, `/api/v1/boards/minutely/entries/ann?period=${started.id}`)).data.entry.rank, 2);
      const periods = (await getJson(t, '/api/v1/boards/minutely/periods')).data.periods;
      assert.deepEqual(periods.map((p: { id: string; totalEntries: number }) => [p.id, p.totalEntries]), [[now.period.id, 0], [started.id, 2]]);
      // Entries of a period beyond keepPeriods (two minutes back) go with the pruning task; the kept one stays.
      const old = new Date(Date.parse(started.id) - 60_000).toISOString();
      await t.backends.sql.query(
        `INSERT INTO board_entries (board_id, period_id, user_id, score, order_score, last_updated, version) VALUES ('minutely', $1, 'ann', 1, -1, now(), 1)`,
        [old],
      );
      assert.equal((await getJson(t, `/api/v1/boards/minutely/entries?period=${old}`)).error.code, 'PERIOD_NOT_FOUND');
      assert.equal(await t.app.services.boards.maintenance.pruneAll(), 1);
      assert.equal((await getJson(t, '/api/v1/boards/minutely/entries?period=previous')).data.totalEntries, 2);
    } finally {
      await t.close();
    }
  });
});
