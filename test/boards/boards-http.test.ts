import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signSubmission } from '../../src/boards/board-signature.js';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, TEST_HMAC_KEY, type TestApp } from '../helpers/app.js';

const admin = (t: TestApp) => ({ authorization: `Bearer ${t.token('root', { role: 'admin' })}` });

function submission(boardId: string, score: number, overrides: Record<string, unknown> = {}) {
  const unsigned = { actionId: randomUUID(), score, timestamp: new Date().toISOString(), ...overrides };
  return { ...unsigned, clientSignature: signSubmission(TEST_HMAC_KEY, { ...unsigned, boardId } as never) };
}

for (const { mode, skip } of MODES) {
  describe(`boards over HTTP (${mode})`, { skip }, () => {
    let t: TestApp;
    const create = (definition: object) => t.app.inject({ method: 'POST', url: '/api/v1/admin/boards', headers: admin(t), payload: definition });
    const submit = (userId: string, boardId: string, body: object) =>
      t.app.inject({ method: 'POST', url: `/api/v1/boards/${boardId}/scores`, headers: { authorization: `Bearer ${t.token(userId)}` }, payload: body });
    const get = async (url: string) => {
      const response = await t.app.inject({ method: 'GET', url });
      return { status: response.statusCode, body: response.json(), headers: response.headers };
    };

    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
    });
    after(async () => t?.close());

    it('creates boards, refuses taken ids and bad definitions naming the field, and lists them after global', async () => {
      const created = await create({ id: 'weekly', reset: 'weekly', actions: ['task_complete'], metadata: { mode: 'ranked' } });
      assert.equal(created.statusCode, 201, created.body);
      const board = created.json().data;
      assert.equal(board.title, 'weekly');
      assert.deepEqual(board.actions, ['TASK_COMPLETE']);
      assert.equal(board.totalEntries, 0);
      assert.match(board.period.id, /^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/);
      assert.equal((await create({ id: 'weekly' })).json().error.code, 'BOARD_EXISTS');
      const bad = await create({ id: 'Bad Id', timezone: 'Mars/Olympus', reset: 'sometimes' });
      assert.equal(bad.statusCode, 400);
      const fields = bad.json().error.details.fields.map((f: { field: string }) => f.field).sort();
      assert.deepEqual(fields, ['id', 'reset', 'timezone']);
      assert.equal((await create({ id: 'global' })).statusCode, 400);
      const list = await get('/api/v1/boards');
      assert.deepEqual(list.body.data.boards.map((b: { id: string }) => b.id).slice(0, 2), ['global', 'weekly']);
    });

    it('feeds action boards in the same write and answers data.boards with the rank', async () => {
      const first = await t.post('ann', t.body({ scoreIncrement: 30 }));
      assert.equal(first.statusCode, 200, first.body);
      const data = first.json().data;
      assert.equal(data.boards.length, 1);
      assert.equal(data.boards[0].boardId, 'weekly');
      assert.equal(data.boards[0].score, 30);
      assert.equal(data.boards[0].rank, 1);
      await t.post('ben', t.body({ scoreIncrement: 40 }));
      const again = (await t.post('ann', t.body({ scoreIncrement: 5 }))).json().data;
      assert.deepEqual({ score: again.boards[0].score, rank: again.boards[0].rank }, { score: 35, rank: 2 });
      const entries = await get('/api/v1/boards/weekly/entries');
      assert.deepEqual(entries.body.data.entries.map((e: { userId: string; score: number; rank: number }) => [e.rank, e.userId, e.score]), [[1, 'ben', 40], [2, 'ann', 35]]);
      assert.equal(entries.body.data.totalEntries, 2);
    });

    it('takes direct submissions on a best/asc board, keeping a worse submission and its tie-break time out', async () => {
      assert.equal((await create({ id: 'lap-times', sortOrder: 'asc', operator: 'best', minScore: 1000, maxScore: 600000 })).statusCode, 201);
      const first = await submit('ann', 'lap-times', submission('lap-times', 65000));
      assert.equal(first.statusCode, 200, first.body);
      assert.deepEqual({ ...first.json().data, period: undefined }, { userId: 'ann', boardId: 'lap-times', period: undefined, score: 65000, previousScore: null, submitted: 65000, improved: true, rank: 1 });
      await submit('ben', 'lap-times', submission('lap-times', 60000));
      const worse = (await submit('ann', 'lap-times', submission('lap-times', 70000))).json().data;
      assert.deepEqual([worse.score, worse.previousScore, worse.improved, worse.rank], [65000, 65000, false, 2]);
      const better = (await submit('ann', 'lap-times', submission('lap-times', 59000))).json().data;
      assert.deepEqual([better.score, better.improved, better.rank], [59000, true, 1]);
      const history = await t.app.inject({ method: 'GET', url: '/api/v1/scores/user/ann/history', headers: { authorization: `Bearer ${t.token('ann')}` } });
      assert.equal(history.statusCode, 200, history.body);
      const rows = history.json().data.history.filter((row: { boardId: string | null }) => row.boardId === 'lap-times');
      // One row per accepted submission, improving or not, newest first.
      assert.deepEqual(rows.map((row: { submittedScore: number; scoreBefore: number | null; scoreAfter: number }) => [row.submittedScore, row.scoreBefore, row.scoreAfter]), [
        [59000, 65000, 59000],
        [70000, 65000, 65000],
        [65000, null, 65000],
      ]);
      const exported = await t.app.inject({ method: 'GET', url: '/api/v1/users/ann/export', headers: { authorization: `Bearer ${t.token('ann')}` } });
      const boards = exported.json().data.boards.map((entry: { boardId: string; period: string; score: number }) => [entry.boardId, entry.score]);
      assert.deepEqual(boards.sort(), [['global', 35], ['lap-times', 59000], ['weekly', 35]]);
    });

    it('refuses submissions in the order of the design', async () => {
      const code = async (boardId: string, body: object, userId = 'cat') => {
        const response = await submit(userId, boardId, body);
        const error = response.json().error;
        return [response.statusCode, error?.code, error?.details?.reason];
      };
      assert.deepEqual(await code('nope', submission('nope', 5)), [404, 'BOARD_NOT_FOUND', undefined]);
      assert.deepEqual(await code('global', submission('global', 5)), [403, 'FORBIDDEN', 'NOT_ALLOWED']);
      assert.deepEqual(await code('weekly', submission('weekly', 5)), [403, 'FORBIDDEN', 'NOT_ALLOWED']);
      assert.deepEqual(await code('lap-times', submission('lap-times', 5)), [400, 'SCORE_VALIDATION_FAILED', undefined]);
      assert.deepEqual(await code('lap-times', submission('lap-times', 5000.5)), [400, 'SCORE_VALIDATION_FAILED', undefined]);
      assert.deepEqual(await code('lap-times', { ...submission('lap-times', 5000), extra: 1 }), [400, 'INVALID_REQUEST', undefined]);
      assert.deepEqual(await code('lap-times', submission('lap-times', 5000, { timestamp: '2001-01-01T00:00:00.000Z' })), [400, 'TIMESTAMP_OUT_OF_RANGE', undefined]);
      assert.deepEqual(await code('lap-times', { ...submission('lap-times', 5000), clientSignature: 'a'.repeat(64) }), [403, 'FORBIDDEN', 'INVALID_SIGNATURE']);
      // One action-id namespace with score updates.
      const update = t.body();
      assert.equal((await t.post('cat', update)).statusCode, 200);
      assert.deepEqual(await code('lap-times', submission('lap-times', 5000, { actionId: update.actionId })), [409, 'DUPLICATE_ACTION', undefined]);
      assert.equal((await create({ id: 'past-season', endsAt: '2020-01-01T00:00:00Z' })).statusCode, 201);
      assert.deepEqual(await code('past-season', submission('past-season', 5)), [403, 'FORBIDDEN', 'BOARD_CLOSED']);
      const unchanged = await get('/api/v1/boards/lap-times/entries');
      assert.equal(unchanged.body.data.entries.some((e: { userId: string }) => e.userId === 'cat'), false);
    });

    it('pages with tamper-evident cursors, and answers friends, one entry, around-me and ETags', async () => {
      assert.equal((await create({ id: 'arena' })).statusCode, 201);
      for (let i = 1; i <= 25; i++) assert.equal((await submit(`p${String(i).padStart(2, '0')}`, 'arena', submission('arena', i * 10))).statusCode, 200);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await get(`/api/v1/boards/arena/entries?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        page.body.data.entries.forEach((e: { rank: number; userId: string }, i: number) => assert.equal(e.rank, seen.length + i + 1));
        seen.push(...page.body.data.entries.map((e: { userId: string }) => e.userId));
        cursor = page.body.data.nextCursor;
        pages += 1;
      } while (cursor);
      assert.equal(pages, 3);
      assert.equal(seen.length, 25);
      assert.equal(seen[0], 'p25');
      const firstPage = await get('/api/v1/boards/arena/entries?limit=10');
      const next = firstPage.body.data.nextCursor as string;
      const tampered = next.slice(0, 5) + (next[5] === 'A' ? 'B' : 'A') + next.slice(6);
      assert.equal((await get(`/api/v1/boards/arena/entries?cursor=${encodeURIComponent(tampered)}`)).body.error.code, 'INVALID_REQUEST');
      assert.equal((await get(`/api/v1/boards/lap-times/entries?cursor=${encodeURIComponent(next)}`)).body.error.code, 'INVALID_REQUEST');
      const friends = await get('/api/v1/boards/arena/entries?userId=p03&userId=p20&userId=nobody');
      assert.deepEqual(friends.body.data.entries.map((e: { userId: string; rank: number }) => [e.userId, e.rank]), [['p20', 6], ['p03', 23]]);
      assert.equal(friends.body.data.totalEntries, 25);
      const one = await get('/api/v1/boards/arena/entries/p20');
      assert.deepEqual([one.body.data.entry.rank, one.body.data.totalEntries, one.body.data.topPercent], [6, 25, 24]);
      assert.equal((await get('/api/v1/boards/arena/entries/nobody')).body.error.code, 'USER_NOT_FOUND');
      const around = await get('/api/v1/boards/arena/entries/p24/around?limit=5');
      assert.deepEqual(around.body.data.entries.map((e: { rank: number }) => e.rank), [1, 2, 3, 4, 5]);
      const middle = await get('/api/v1/boards/arena/entries/p13/around?limit=5');
      assert.deepEqual(middle.body.data.entries.map((e: { userId: string }) => e.userId), ['p15', 'p14', 'p13', 'p12', 'p11']);
      const bottom = await get('/api/v1/boards/arena/entries/p01/around?limit=4');
      assert.deepEqual(bottom.body.data.entries.map((e: { rank: number }) => e.rank), [22, 23, 24, 25]);
      const etag = firstPage.headers.etag as string;
      const cachedAnswer = await t.app.inject({ method: 'GET', url: '/api/v1/boards/arena/entries?limit=10', headers: { 'if-none-match': etag } });
      assert.equal(cachedAnswer.statusCode, 304);
    });

    it('names periods: current, previous on a board that never resets, malformed and unknown ids', async () => {
      assert.equal((await get('/api/v1/boards/arena/entries?period=previous')).body.error.code, 'PERIOD_NOT_FOUND');
      assert.equal((await get('/api/v1/boards/arena/entries?period=all')).status, 200);
      assert.equal((await get('/api/v1/boards/arena/entries?period=yesterday')).body.error.code, 'INVALID_REQUEST');
      assert.equal((await get('/api/v1/boards/weekly/entries?period=2026-11-25T00:00:00.000Z')).body.error.code, 'PERIOD_NOT_FOUND');
      const periods = await get('/api/v1/boards/weekly/periods');
      assert.equal(periods.status, 200, JSON.stringify(periods.body));
      assert.equal(periods.body.data.periods[0].top[0].userId, 'ben');
    });

    it('removes one entry, hides a frozen player on every board until unfrozen, and erases entries', async () => {
      const remove = await t.app.inject({ method: 'DELETE', url: '/api/v1/admin/boards/arena/entries/p25', headers: admin(t) });
      assert.equal(remove.statusCode, 200, remove.body);
      assert.equal((await get('/api/v1/boards/arena/entries/p24')).body.data.entry.rank, 1);
      assert.equal((await t.app.inject({ method: 'DELETE', url: '/api/v1/admin/boards/arena/entries/p25', headers: admin(t) })).json().error.code, 'USER_NOT_FOUND');
      const freeze = await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/p24/freeze', headers: admin(t), payload: { reason: 'test', hide: true } });
      assert.equal(freeze.statusCode, 200, freeze.body);
      assert.equal((await get('/api/v1/boards/arena/entries/p23')).body.data.entry.rank, 1);
      assert.equal((await get('/api/v1/boards/arena/entries?limit=1')).body.data.entries[0].userId, 'p23');
      assert.equal((await get('/api/v1/boards/arena/entries')).body.data.totalEntries, 23);
      await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/p24/unfreeze', headers: admin(t), payload: {} });
      assert.equal((await get('/api/v1/boards/arena/entries/p24')).body.data.entry.rank, 1);
      const erase = await t.app.inject({ method: 'DELETE', url: '/api/v1/users/p24', headers: admin(t) });
      assert.equal(erase.statusCode, 200, erase.body);
      assert.equal((await get('/api/v1/boards/arena/entries/p24')).body.error.code, 'USER_NOT_FOUND');
      assert.equal((await get('/api/v1/boards/arena/entries/p23')).body.data.entry.rank, 1);
    });

    it('patches changeable fields, refuses fixed ones, and deletes boards (global neither)', async () => {
      const patch = (boardId: string, payload: object) => t.app.inject({ method: 'PATCH', url: `/api/v1/admin/boards/${boardId}`, headers: admin(t), payload });
      const patched = await patch('arena', { title: 'The Arena', maxScore: 1000 });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal(patched.json().data.title, 'The Arena');
      const fixed = await patch('arena', { sortOrder: 'asc' });
      assert.equal(fixed.statusCode, 400);
      assert.equal(fixed.json().error.details.fields[0].field, 'sortOrder');
      assert.equal((await patch('global', { title: 'x' })).json().error.details.reason, 'NOT_ALLOWED');
      assert.equal((await t.app.inject({ method: 'DELETE', url: '/api/v1/admin/boards/global', headers: admin(t) })).statusCode, 403);
      const deleted = await t.app.inject({ method: 'DELETE', url: '/api/v1/admin/boards/arena', headers: admin(t) });
      assert.deepEqual(deleted.json().data, { boardId: 'arena', deleted: true });
      assert.equal((await get('/api/v1/boards/arena/entries')).body.error.code, 'BOARD_NOT_FOUND');
    });
  });
}
