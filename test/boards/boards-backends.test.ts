import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signSubmission } from '../../src/boards/board-signature.js';
import { rankKey } from '../../src/boards/ordered-rank-index.js';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, TEST_HMAC_KEY, type TestApp } from '../helpers/app.js';
import { freePort, waitFor } from '../helpers/outage-services.js';
import { SKIP_POSTGRES, SKIP_REDIS } from '../helpers/services.js';

const admin = (t: TestApp) => ({ authorization: `Bearer ${t.token('root', { role: 'admin' })}` });

function submission(boardId: string, score: number, actionId: string = randomUUID()) {
  const unsigned = { actionId, score, timestamp: new Date().toISOString() };
  return { ...unsigned, clientSignature: signSubmission(TEST_HMAC_KEY, { ...unsigned, boardId }) };
}

function helpers(get: () => TestApp) {
  return {
    create: (definition: object) => get().app.inject({ method: 'POST', url: '/api/v1/admin/boards', headers: admin(get()), payload: definition }),
    submit: (userId: string, boardId: string, body: object) =>
      get().app.inject({ method: 'POST', url: `/api/v1/boards/${boardId}/scores`, headers: { authorization: `Bearer ${get().token(userId)}` }, payload: body }),
    json: async (url: string) => (await get().app.inject({ method: 'GET', url })).json(),
  };
}

/** The value of one sample of the Prometheus text, 0 when absent. */
function sample(text: string, line: string): number {
  const found = text.split('\n').find((candidate) => candidate.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

for (const { mode, skip } of MODES) {
  describe(`board submissions share the score path (${mode})`, { skip }, () => {
    let t: TestApp;
    const { create, submit, json } = helpers(() => t);
    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), RATE_LIMIT_MAX_REQUESTS: '4', RATE_LIMIT_WINDOW_MS: '60000' });
    });
    after(async () => t?.close());

    it('keeps the latest submission on a latest board, lower or higher, and moves its time', async () => {
      assert.equal((await create({ id: 'rating', operator: 'latest' })).statusCode, 201);
      assert.equal((await submit('lat', 'rating', submission('rating', 1500))).json().data.score, 1500);
      const first = (await json('/api/v1/boards/rating/entries/lat')).data.entry;
      await new Promise((resolve) => setTimeout(resolve, 5));
      const lower = (await submit('lat', 'rating', submission('rating', 1200))).json().data;
      assert.deepEqual([lower.score, lower.previousScore, lower.submitted, lower.improved], [1200, 1500, 1200, true]);
      const entry = (await json('/api/v1/boards/rating/entries/lat')).data.entry;
      assert.equal(entry.score, 1200);
      assert.ok(Date.parse(entry.lastUpdated) > Date.parse(first.lastUpdated), `${entry.lastUpdated} after ${first.lastUpdated}`);
    });

    it('counts submissions against the same per-player limit as score updates', async () => {
      assert.equal((await create({ id: 'limited', operator: 'best' })).statusCode, 201);
      assert.equal((await t.post('lim', t.body({ scoreIncrement: 1 }))).statusCode, 200);
      assert.equal((await t.post('lim', t.body({ scoreIncrement: 1 }))).statusCode, 200);
      assert.equal((await submit('lim', 'limited', submission('limited', 3))).statusCode, 200);
      assert.equal((await submit('lim', 'limited', submission('limited', 4))).statusCode, 200);
      const refused = await submit('lim', 'limited', submission('limited', 5));
      assert.equal(refused.statusCode, 429, refused.body);
      assert.equal(refused.json().error.code, 'RATE_LIMIT_EXCEEDED');
      assert.equal((await t.post('lim', t.body({ scoreIncrement: 1 }))).statusCode, 429);
      assert.equal((await json('/api/v1/boards/limited/entries/lim')).data.entry.score, 4);
    });

    it('refuses an action id already used by a score update (one namespace), changing nothing', async () => {
      assert.equal((await create({ id: 'replays', operator: 'best' })).statusCode, 201);
      const body = t.body({ scoreIncrement: 2 });
      assert.equal((await t.post('rep', body)).statusCode, 200);
      const replayed = await submit('rep', 'replays', submission('replays', 50, body.actionId));
      assert.equal(replayed.statusCode, 409, replayed.body);
      assert.equal(replayed.json().error.code, 'DUPLICATE_ACTION');
      assert.equal((await json('/api/v1/boards/replays/entries/rep')).error.code, 'USER_NOT_FOUND');
    });

    it('counts submissions in score_update_total by result', async () => {
      assert.equal((await create({ id: 'counted' })).statusCode, 201);
      const before = await (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.equal((await submit('met', 'counted', submission('counted', 9))).statusCode, 200);
      assert.equal((await submit('met', 'nowhere', submission('nowhere', 9))).statusCode, 404);
      const after = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.equal(sample(after, 'score_update_total{result="success"}') - sample(before, 'score_update_total{result="success"}'), 1);
      assert.equal(sample(after, 'score_update_total{result="BOARD_NOT_FOUND"}') - sample(before, 'score_update_total{result="BOARD_NOT_FOUND"}'), 1);
    });
  });
}

describe('boards in Redis (production)', { skip: SKIP_POSTGRES || SKIP_REDIS }, () => {
  let t: TestApp;
  const { create, submit, json } = helpers(() => t);
  before(async () => {
    t = await createTestApp('production', { CACHE_REFRESH_INTERVAL_MS: '1000' });
  });
  after(async () => t?.close());

  it('keeps one sorted set per board period, and the periodic rebuild restores each without mixing boards', async () => {
    for (const definition of [{ id: 'red', operator: 'best' }, { id: 'blue', operator: 'best', sortOrder: 'asc' }, { id: 'green', reset: 'daily', operator: 'best' }]) {
      assert.equal((await create(definition)).statusCode, 201);
    }
    const players: Record<string, [string, number][]> = {
      red: [['r1', 10], ['r2', 30], ['both', 20]],
      blue: [['b1', 5], ['both', 7]],
      green: [['g1', 1]],
    };
    for (const [board, entries] of Object.entries(players)) {
      for (const [user, score] of entries) assert.equal((await submit(user, board, submission(board, score))).statusCode, 200);
    }
    const green = (await json('/api/v1/boards/green')).data.period.id as string;
    const keys = { red: rankKey('red', 'all'), blue: rankKey('blue', 'all'), green: rankKey('green', green) };
    const members = async (key: string) => (await t.backends.rankIndex.top(key, 0, 100)).map((entry) => entry.userId);
    const expected = { red: ['r2', 'both', 'r1'], blue: ['both', 'b1'], green: ['g1'] };
    const redis = t.backends.redis!;
    const prefix = t.config.redis!.keyPrefix;
    // The desc board holds its order as is; the asc one is held negated, so its best (lowest) comes first.
    assert.deepEqual(await members(keys.red), expected.red);
    assert.deepEqual((await members(keys.blue)).sort(), ['b1', 'both']);
    assert.deepEqual(await members(keys.green), expected.green);
    const stored = await redis.keys(`${prefix}*`);
    assert.ok(stored.some((key) => key.includes(`green@${green}`)), stored.join(' '));
    // Redis loses everything (a restart without persistence): the refresh rebuilds every board from SQL.
    await redis.del(...stored);
    await waitFor(async () => (await t.backends.rankIndex.count(keys.green)) === 1 || undefined, 10_000, 'green rebuilt');
    await waitFor(async () => (await t.backends.rankIndex.count(keys.blue)) === 2 || undefined, 10_000, 'blue rebuilt');
    assert.deepEqual(await members(keys.red), expected.red);
    assert.deepEqual((await members(keys.blue)).sort(), ['b1', 'both']);
    const blue = (await json('/api/v1/boards/blue/entries')).data;
    assert.deepEqual(blue.entries.map((e: { userId: string }) => e.userId), ['b1', 'both']);
    // The friends view ranks from the index in one read, in the board's own order (asc here).
    const friends = (await json('/api/v1/boards/blue/entries?userId=both&userId=b1&userId=r1')).data;
    assert.deepEqual(friends.entries.map((e: { userId: string; rank: number; score: number }) => [e.rank, e.userId, e.score]), [[1, 'b1', 5], [2, 'both', 7]]);
  });
});

describe('board reads from the rank index agree with SQL (production)', { skip: SKIP_POSTGRES || SKIP_REDIS }, () => {
  let t: TestApp;
  const { create, submit, json } = helpers(() => t);
  before(async () => {
    t = await createTestApp('production');
  });
  after(async () => t?.close());

  type Row = { rank: number; userId: string; score: number };
  const rows = (entries: Row[]) => entries.map((e) => [e.rank, e.userId, e.score]);

  it('pages, windows and entries read the same as the SQL order, and a cursor whose player moved continues from its place', async () => {
    assert.equal((await create({ id: 'deep', operator: 'best', sortOrder: 'asc' })).statusCode, 201);
    // Ties on purpose: every third player shares a score; the earlier one ranks first.
    for (let i = 0; i < 30; i++) assert.equal((await submit(`d${String(i).padStart(2, '0')}`, 'deep', submission('deep', 100 + Math.floor(i / 3)))).statusCode, 200);
    const inSql = await t.backends.sql.query(
      `SELECT user_id, score FROM board_entries WHERE board_id = 'deep' ORDER BY order_score, last_updated, user_id`,
    );
    const expected = inSql.map((row, i) => [i + 1, row.user_id, Number(row.score)]);
    const paged: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: { entries: Row[]; nextCursor: string | null } = (await json(`/api/v1/boards/deep/entries?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).data;
      paged.push(...rows(page.entries));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(paged, expected);
    const around = (await json('/api/v1/boards/deep/entries/d28/around?limit=5')).data;
    assert.deepEqual(rows(around.entries), expected.slice(25, 30), 'near the bottom the window shifts up');
    const entry = (await json('/api/v1/boards/deep/entries/d13')).data;
    assert.deepEqual([entry.entry.rank, entry.totalEntries, entry.topPercent], [expected.findIndex((row) => row[1] === 'd13') + 1, 30, Math.ceil((100 * 14) / 30)]);
    // The cursor's player (rank 7) improves: the next page still starts after the place it names.
    const first = (await json('/api/v1/boards/deep/entries?limit=7')).data;
    assert.equal((await submit(String(first.entries[6].userId), 'deep', submission('deep', 1))).statusCode, 200);
    const next = (await json(`/api/v1/boards/deep/entries?limit=3&cursor=${encodeURIComponent(first.nextCursor)}`)).data;
    assert.deepEqual(next.entries.map((e: Row) => e.userId), expected.slice(7, 10).map((row) => row[1]));
  });
});

describe('boards with Redis unreachable (production)', { skip: SKIP_POSTGRES }, () => {
  let t: TestApp;
  const { create, submit, json } = helpers(() => t);
  before(async () => {
    t = await createTestApp('production', { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
  });
  after(async () => t?.close());

  it('creates boards, takes submissions and answers every read from PostgreSQL', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/health' })).json().status, 'degraded');
    assert.equal((await create({ id: 'dark', operator: 'best', sortOrder: 'asc' })).statusCode, 201);
    for (const [user, score] of [['ann', 70], ['ben', 60], ['cat', 80], ['dan', 65]] as const) {
      const answer = await submit(user, 'dark', submission('dark', score));
      assert.equal(answer.statusCode, 200, answer.body);
    }
    const worse = (await submit('ben', 'dark', submission('dark', 90))).json().data;
    assert.deepEqual([worse.score, worse.improved, worse.rank], [60, false, 1]);
    const entries = (await json('/api/v1/boards/dark/entries?limit=2')).data;
    assert.deepEqual(entries.entries.map((e: { userId: string; rank: number }) => [e.rank, e.userId]), [[1, 'ben'], [2, 'dan']]);
    const next = (await json(`/api/v1/boards/dark/entries?limit=2&cursor=${encodeURIComponent(entries.nextCursor)}`)).data;
    assert.deepEqual(next.entries.map((e: { userId: string; rank: number }) => [e.rank, e.userId]), [[3, 'ann'], [4, 'cat']]);
    const entry = (await json('/api/v1/boards/dark/entries/ann')).data.entry;
    assert.deepEqual([entry.rank, entry.score], [3, 70]);
    const around = (await json('/api/v1/boards/dark/entries/ann/around?limit=3')).data;
    assert.deepEqual(around.entries.map((e: { userId: string }) => e.userId), ['dan', 'ann', 'cat']);
    const friends = (await json('/api/v1/boards/dark/entries?userId=cat&userId=ben')).data;
    assert.deepEqual(friends.entries.map((e: { userId: string; rank: number }) => [e.rank, e.userId]), [[1, 'ben'], [4, 'cat']]);
  });
});
