import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { migrate } from '../../src/db/migrations.js';
import { BoardStore } from '../../src/db/board-store.js';
import type { SqlClient } from '../../src/db/sql-client.js';
import { PgSqlClient } from '../../src/db/sql-client-pg.js';
import { PgliteSqlClient } from '../../src/db/sql-client-pglite.js';
import { compareEntries, type RankEntry, type RankedEntry } from '../../src/boards/rank-entry.js';
import type { RankIndex } from '../../src/boards/rank-index.js';
import { MemoryRankIndex } from '../../src/boards/rank-index-memory.js';
import { RedisRankIndex } from '../../src/boards/rank-index-redis.js';
import { FAST_ACTIONS, MODES, actionsFile, createTestApp, type TestApp } from '../helpers/app.js';
import pg from 'pg';
import { SKIP_POSTGRES, SKIP_REDIS, TEST_DATABASE_URL, createTestDatabase, createTestRedis, uniqueName } from '../helpers/services.js';
import { prng, shuffle } from '../helpers/random.js';

/** mulberry32: seeded, so the fixed set of entries is the same on every run. */


const T0 = 1_700_000_000_000;

/**
 * ~300 standings with many ties: few distinct scores (0 and 2^53 - 1 included), few distinct times
 * (of different digit counts, and ms apart around a second boundary), and user ids whose byte
 * order differs from a natural or case-insensitive order.
 */
function buildEntries(): RankEntry[] {
  const random = prng(0x5c0b0a7d);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const special = [
    'a', 'a:b', 'A', 'b', '10', '9', 'user-1', 'user_1', '~x',
    'B', 'Z', 'a-b', 'a.b', 'a_b', 'aa', 'a:', '0', '00', '1', '!', '|', 'a|b', '_', '-',
    'auth0|abc123', 'x@example.com', '550e8400-e29b-41d4-a716-446655440000', '550E8400-E29B-41D4-A716-446655440000',
    'user-10', 'user-2', 'user_10', 'USER-1', '~', '~~', 'z'.repeat(128),
  ];
  const ids = [...special];
  for (let i = 0; ids.length < 300; i++) ids.push(i % 3 === 0 ? `p${i}` : i % 3 === 1 ? `P-${i}` : `${i}`);
  const scores = [0, 1, 2, 10, 10, 10, 100, 100, 999, 1000, 2 ** 31, 2 ** 53 - 1];
  const times = [0, 1, 999, 1000, 1001, 999_999_999_999, T0, T0, T0 + 1, T0 + 999, T0 + 1000, 4_102_444_800_000];
  const usernames = [null, 'Player', 'with|pipes|in|it', '', 'Ünïcødé ✓'];
  return ids.map((userId) => ({
    userId,
    username: pick(usernames),
    score: pick(scores),
    lastUpdatedMs: pick(times),
    version: 1 + Math.floor(random() * 5),
  }));
}

const ENTRIES = buildEntries();
const EXPECTED: RankedEntry[] = [...ENTRIES].sort(compareEntries).map((entry, i) => ({ ...entry, rank: i + 1 }));

describe('the fixed set of entries', () => {
  it('has many ties in score, in time and in both', () => {
    assert.equal(new Set(ENTRIES.map((e) => e.userId)).size, ENTRIES.length);
    assert.ok(ENTRIES.length >= 300);
    const byScore = new Map<number, number>();
    const byBoth = new Map<string, number>();
    for (const e of ENTRIES) {
      byScore.set(e.score, (byScore.get(e.score) ?? 0) + 1);
      byBoth.set(`${e.score}/${e.lastUpdatedMs}`, (byBoth.get(`${e.score}/${e.lastUpdatedMs}`) ?? 0) + 1);
    }
    assert.ok([...byScore.values()].some((n) => n > 20));
    assert.ok([...byBoth.values()].filter((n) => n > 1).length > 20, 'many entries tie on score and time: user id decides');
  });
});

/** Every page of `pageSize` concatenated, so offsets are checked as well as one big page. */
async function allPages(read: (offset: number, limit: number) => Promise<RankedEntry[]>, pageSize: number): Promise<RankedEntry[]> {
  const all: RankedEntry[] = [];
  for (let offset = 0; offset < ENTRIES.length + pageSize; offset += pageSize) all.push(...(await read(offset, pageSize)));
  return all;
}

async function* batchesOf(entries: RankEntry[], size: number): AsyncIterable<RankEntry[]> {
  for (let i = 0; i < entries.length; i += size) yield entries.slice(i, i + size);
}

async function checkRankIndex(index: RankIndex): Promise<void> {
  // Written one by one in a shuffled order.
  const upserted = 'ordering-upsert';
  const order = shuffle([...ENTRIES], prng(1));
  for (const entry of order) await index.upsert(upserted, entry);
  assert.deepEqual(await index.top(upserted, 0, 1000), EXPECTED);
  assert.deepEqual(await allPages((offset, limit) => index.top(upserted, offset, limit), 37), EXPECTED);
  for (const expected of EXPECTED) {
    assert.deepEqual(await index.rankOf(upserted, expected.userId), expected, `rankOf ${expected.userId}`);
  }
  // Rewriting each entry with its own version changes nothing and returns its rank.
  for (const expected of EXPECTED) assert.equal((await index.upsert(upserted, expected)).rank, expected.rank);
  assert.equal(await index.count(upserted), ENTRIES.length);

  // Written by a rebuild, in another shuffled order.
  const rebuilt = 'ordering-rebuild';
  assert.equal(await index.replaceAll(rebuilt, batchesOf(shuffle([...ENTRIES], prng(2)), 64)), ENTRIES.length);
  assert.deepEqual(await index.top(rebuilt, 0, 1000), EXPECTED);
  for (const expected of EXPECTED) assert.equal((await index.rankOf(rebuilt, expected.userId))?.rank, expected.rank);
}

/** The same entries ranked lowest score first (a time trial), with the same tie-break. */
const EXPECTED_ASC: RankedEntry[] = [...ENTRIES]
  .sort((a, b) => (a.score !== b.score ? a.score - b.score : compareEntries({ ...a, score: 0 }, { ...b, score: 0 })))
  .map((entry, i) => ({ ...entry, rank: i + 1 }));

/** Stores the entries on a `desc` and an `asc` board, then reads them back through every SQL read of the board store. */
async function checkSql(sql: SqlClient): Promise<void> {
  await migrate(sql);
  await sql.query(
    `INSERT INTO users (id, username) SELECT x.id, x.username FROM jsonb_to_recordset($1::jsonb) AS x(id text, username text)`,
    [JSON.stringify(ENTRIES.map((e) => ({ id: e.userId, username: e.username })))],
  );
  await sql.query(`INSERT INTO boards (id, title, sort_order) VALUES ('trial', 'Trial', 'asc')`);
  for (const [boardId, sign] of [['global', -1], ['trial', 1]] as const) {
    await sql.query(
      `INSERT INTO board_entries (board_id, period_id, user_id, score, order_score, last_updated, version)
       SELECT $2, 'all', x."userId", x.score, $3::bigint * x.score, to_timestamp(x."lastUpdatedMs" / 1000.0), x.version
       FROM jsonb_to_recordset($1::jsonb) AS x("userId" text, score bigint, "lastUpdatedMs" bigint, version bigint)`,
      [JSON.stringify(ENTRIES), boardId, sign],
    );
  }
  // The stored time round-trips to the same millisecond, and the score stays exact.
  const stored = await sql.query(
    `SELECT user_id, score, (extract(epoch FROM last_updated) * 1000)::bigint AS ms FROM board_entries WHERE board_id = 'global'`,
  );
  assert.equal(stored.length, ENTRIES.length);
  const byId = new Map(stored.map((row) => [row.user_id as string, row]));
  for (const entry of ENTRIES) {
    assert.equal(byId.get(entry.userId)?.ms, entry.lastUpdatedMs, `${entry.userId}'s last_updated round-trips`);
    assert.equal(byId.get(entry.userId)?.score, entry.score, `${entry.userId}'s score round-trips`);
  }
  const boards = new BoardStore(sql);
  for (const [boardId, order, expected] of [['global', 'desc', EXPECTED], ['trial', 'asc', EXPECTED_ASC]] as const) {
    const ref = { boardId, periodId: 'all' };
    const ranked = (entries: RankEntry[], offset: number) => entries.map((entry, i) => ({ ...entry, rank: offset + i + 1 }));
    assert.deepEqual(ranked(await boards.pageAt(ref, 0, 1000), 0), expected, `${boardId}: one page`);
    assert.deepEqual(await allPages(async (offset, limit) => ranked(await boards.pageAt(ref, offset, limit), offset), 37), expected, `${boardId}: offset pages`);
    // Keyset pages, as cursors walk them: each page starts right after the last entry of the one before.
    const walked: RankEntry[] = [];
    for (let page = await boards.page(ref, order, null, 37); page.length > 0; ) {
      walked.push(...page);
      const last = page[page.length - 1]!;
      page = await boards.page(ref, order, { orderScore: order === 'desc' ? -last.score : last.score, lastUpdatedMs: last.lastUpdatedMs, userId: last.userId }, 37);
    }
    assert.deepEqual(ranked(walked, 0), expected, `${boardId}: keyset pages`);
    for (const entry of expected) {
      const position = { orderScore: order === 'desc' ? -entry.score : entry.score, lastUpdatedMs: entry.lastUpdatedMs, userId: entry.userId };
      assert.equal((await boards.countBefore(ref, position)) + 1, entry.rank, `${boardId}: SQL rank of ${entry.userId}`);
    }
    assert.equal(await boards.count(ref), ENTRIES.length);
  }
}

describe('one leaderboard order in every backend', () => {
  it('memory: MemoryRankIndex follows compareEntries in full', async () => {
    await checkRankIndex(new MemoryRankIndex());
  });

  it('redis: RedisRankIndex follows compareEntries in full', { skip: SKIP_REDIS }, async () => {
    const { redis, keyPrefix, cleanup } = await createTestRedis();
    try {
      await checkRankIndex(new RedisRankIndex({ redis, keyPrefix }));
    } finally {
      await cleanup();
    }
  });

  it('sql (PGlite): board pages, keyset pages and ranks follow the order in full, both ways', async () => {
    const sql = await PgliteSqlClient.open({ dataDir: 'memory://' });
    try {
      await checkSql(sql);
    } finally {
      await sql.close();
    }
  });

  it('sql (PostgreSQL): board pages, keyset pages and ranks follow the order in full, both ways', { skip: SKIP_POSTGRES }, async () => {
    const database = await createTestDatabase();
    const sql = new PgSqlClient({ url: database.url, poolSize: 4 });
    try {
      await checkSql(sql);
    } finally {
      await sql.close();
      await database.cleanup();
    }
  });

  // Production databases often default to a linguistic collation ('a' < 'A' < 'b'); the schema's
  // COLLATE "C" must keep byte order there too. Needs PostgreSQL 15+ with ICU.
  it('sql (PostgreSQL, database default collation en-US ICU): same order', { skip: SKIP_POSTGRES }, async (context) => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const name = uniqueName('sbtest_icu');
    try {
      const [{ v }] = (await admin.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows as [{ v: string }];
      const icu = await admin.query(`SELECT 1 FROM pg_collation WHERE collname = 'en-US-x-icu'`);
      if (Number(v) < 150000 || icu.rowCount === 0) {
        context.skip('needs PostgreSQL 15+ built with ICU');
        return;
      }
      await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
      const url = new URL(TEST_DATABASE_URL!);
      url.pathname = `/${name}`;
      const sql = new PgSqlClient({ url: url.toString(), poolSize: 4 });
      try {
        // The database really does sort linguistically by default.
        const [row] = await sql.query(`SELECT 'a' < 'B' AS linguistic`);
        assert.equal(row?.linguistic, true);
        await checkSql(sql);
      } finally {
        await sql.close();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function summary(response: LightMyRequestResponse): string {
  return JSON.stringify({ status: response.statusCode, body: response.body.slice(0, 500) });
}

for (const { mode, skip } of MODES) {
  describe(`ties go to whoever reached the score first (${mode})`, { skip }, () => {
    let t: TestApp;
    // The one who gets there first has the later user id, so only time can put them first.
    const A = 'zz-first';
    const B = 'aa-second';

    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
    });
    after(async () => {
      await t?.close();
    });

    /** Posts an update; returns the response's data. Waits first so that two updates never share a millisecond. */
    async function score(userId: string, scoreIncrement: number) {
      await sleep(5);
      const response = await t.post(userId, t.body({ scoreIncrement }));
      assert.equal(response.statusCode, 200, summary(response));
      return (response.json() as { data: { newScore: number; rank: number; timestamp: string } }).data;
    }

    /** The board as the leaderboard endpoint lists it, checked against /user/:id for each player. */
    async function standings(): Promise<{ userId: string; score: number; rank: number }[]> {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/scores/leaderboard?limit=10' });
      assert.equal(response.statusCode, 200, summary(response));
      const rows = (response.json() as { data: { leaderboard: { userId: string; score: number; rank: number; lastUpdated: string }[] } })
        .data.leaderboard;
      for (const row of rows) {
        const user = await t.app.inject({
          method: 'GET',
          url: `/api/v1/scores/user/${row.userId}`,
          headers: { authorization: `Bearer ${t.token('ordering-viewer')}` },
        });
        assert.equal(user.statusCode, 200, summary(user));
        const data = (user.json() as { data: { rank: number; score: number; lastUpdated: string } }).data;
        assert.deepEqual({ rank: data.rank, score: data.score, lastUpdated: data.lastUpdated }, { rank: row.rank, score: row.score, lastUpdated: row.lastUpdated }, `${row.userId} via /user/:id`);
      }
      return rows.map(({ userId, score, rank }) => ({ userId, score, rank }));
    }

    it('ranks the first to reach a score above the one who equals it later, through every lead change', async () => {
      const a1 = await score(A, 10);
      const b1 = await score(B, 10);
      assert.ok(Date.parse(a1.timestamp) < Date.parse(b1.timestamp), 'A reached 10 first');
      assert.equal(a1.rank, 1);
      assert.equal(b1.rank, 2, 'B equals A later: second');
      assert.deepEqual(await standings(), [
        { userId: A, score: 10, rank: 1 },
        { userId: B, score: 10, rank: 2 },
      ]);

      const b2 = await score(B, 5);
      assert.equal(b2.rank, 1, 'B passes A');
      assert.deepEqual(await standings(), [
        { userId: B, score: 15, rank: 1 },
        { userId: A, score: 10, rank: 2 },
      ]);

      const a2 = await score(A, 5);
      assert.equal(a2.newScore, 15);
      assert.equal(a2.rank, 2, 'A catches up, but B reached 15 first');
      assert.deepEqual(await standings(), [
        { userId: B, score: 15, rank: 1 },
        { userId: A, score: 15, rank: 2 },
      ]);

      const a3 = await score(A, 5);
      assert.equal(a3.rank, 1, 'A passes B');
      const b3 = await score(B, 5);
      assert.equal(b3.newScore, 20);
      assert.equal(b3.rank, 2, 'B catches up, but A reached 20 first');
      assert.deepEqual(await standings(), [
        { userId: A, score: 20, rank: 1 },
        { userId: B, score: 20, rank: 2 },
      ]);
    });

    // Only PostgreSQL lets a statement wait on a row lock held by another connection (PGlite runs
    // one statement at a time), so this interleaving exists in production mode only.
    it(
      'ranks by when the score was reached (committed), not when a delayed update started',
      { skip: mode === 'embedded' ? 'PGlite runs one statement at a time: no update ever waits for a row lock' : false },
      async () => {
        const C = 'zz-delayed';
        const D = 'aa-prompt';
        await score(C, 10);
        await score(D, 10);
        // Another connection holds C's score row, as C's own concurrent update would: C's next
        // update has to wait for it.
        const locker = new pg.Client({ connectionString: t.config.database!.url });
        await locker.connect();
        let delayed: Promise<LightMyRequestResponse> | undefined;
        try {
          await locker.query('BEGIN');
          await locker.query('SELECT score FROM scores WHERE user_id = $1 FOR UPDATE', [C]);
          delayed = t.post(C, t.body({ scoreIncrement: 5 }));
          await sleep(100);
          const d = await score(D, 5);
          assert.equal(d.newScore, 15);
          await sleep(50);
        } finally {
          await locker.query('COMMIT').catch(() => undefined);
          await locker.end();
        }
        const c = await delayed!;
        assert.equal(c.statusCode, 200, summary(c));
        const cData = (c.json() as { data: { newScore: number; rank: number; timestamp: string } }).data;
        assert.equal(cData.newScore, 15);
        const board = (await standings()).filter((row) => row.userId === C || row.userId === D);
        assert.deepEqual(
          board.map(({ userId, score }) => ({ userId, score })),
          [
            { userId: D, score: 15 },
            { userId: C, score: 15 },
          ],
          `D reached 15 before C's update was applied; C's update is stamped ${cData.timestamp}`,
        );
      },
    );
  });
}
