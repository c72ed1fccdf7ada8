import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, type TestApp } from '../helpers/app.js';

for (const { mode, skip } of MODES) {
  describe(`score updates and reads (${mode})`, { skip }, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
    });
    after(() => t.close());

    const get = (url: string, userId?: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'GET', url, headers: { ...(userId ? { authorization: `Bearer ${t.token(userId)}` } : {}), ...headers } });

    it('applies a signed update and answers with the new score and rank', async () => {
      const response = await t.post('p1', t.body({ scoreIncrement: 30 }));
      assert.equal(response.statusCode, 200);
      const { success, data } = response.json();
      assert.equal(success, true);
      assert.equal(data.userId, 'p1');
      assert.equal(data.newScore, 30);
      assert.equal(data.previousScore, 0);
      assert.equal(data.rank, 1);
      assert.ok(Math.abs(Date.parse(data.timestamp) - Date.now()) < 5000);
      assert.ok(response.headers['x-request-id']);
      assert.equal(await t.scoreInDb('p1'), 30);
    });

    it('ranks a second player and moves them up as they pass', async () => {
      const second = (await t.post('p2', t.body({ scoreIncrement: 20 }))).json().data;
      assert.equal(second.rank, 2);
      const passed = (await t.post('p2', t.body({ scoreIncrement: 15, actionType: 'achievement' }))).json().data;
      assert.deepEqual([passed.newScore, passed.previousScore, passed.rank], [35, 20, 1]);
    });

    it('serves the leaderboard in order with names, an ETag and 304 on If-None-Match', async () => {
      const response = await get('/api/v1/scores/leaderboard');
      assert.equal(response.statusCode, 200);
      const { data } = response.json();
      assert.deepEqual(
        data.leaderboard.map((e: { rank: number; userId: string; username: string; score: number }) => [e.rank, e.userId, e.username, e.score]),
        [
          [1, 'p2', 'Player p2', 35],
          [2, 'p1', 'Player p1', 30],
        ],
      );
      assert.equal(data.cacheHit, true);
      assert.ok(!Number.isNaN(Date.parse(data.leaderboard[0].lastUpdated)));
      const etag = response.headers.etag as string;
      assert.match(etag, /^"[\w-]+"$/);
      const cached = await get('/api/v1/scores/leaderboard', undefined, { 'if-none-match': etag });
      assert.equal(cached.statusCode, 304);
      assert.equal(cached.body, '');
      await t.post('p3', t.body({ scoreIncrement: 1 }));
      const changed = await get('/api/v1/scores/leaderboard', undefined, { 'if-none-match': etag });
      assert.equal(changed.statusCode, 200);
      assert.notEqual(changed.headers.etag, etag);
    });

    it('pages with limit and offset', async () => {
      const page = (await get('/api/v1/scores/leaderboard?limit=1&offset=1')).json().data.leaderboard;
      assert.deepEqual(page.map((e: { rank: number; userId: string }) => [e.rank, e.userId]), [[2, 'p1']]);
      assert.deepEqual((await get('/api/v1/scores/leaderboard?offset=50')).json().data.leaderboard, []);
    });

    it("reports a player's score, rank and totals, and the rank an unscored player would hold", async () => {
      const response = await get('/api/v1/scores/user/p1', 'p3');
      assert.equal(response.statusCode, 200);
      const { data } = response.json();
      assert.equal(data.userId, 'p1');
      assert.equal(data.username, 'Player p1');
      assert.equal(data.score, 30);
      assert.equal(data.rank, 2);
      assert.equal(data.totalActions, 1);
      assert.ok(data.firstAction && data.lastAction && data.lastUpdated);
      // A token makes a user; they exist with score 0 and rank after every scored player.
      await get('/api/v1/scores/leaderboard', 'newcomer');
      const newcomer = (await get('/api/v1/scores/user/newcomer', 'newcomer')).json().data;
      assert.deepEqual([newcomer.score, newcomer.rank, newcomer.totalActions, newcomer.lastUpdated], [0, 4, 0, null]);
      const unauthenticated = await get('/api/v1/scores/user/p1');
      assert.equal(unauthenticated.statusCode, 401);
    });

    it('keeps the user lookup fresh after an update (the cached copy is dropped)', async () => {
      assert.equal((await get('/api/v1/scores/user/p3', 'p3')).json().data.score, 1);
      await t.post('p3', t.body({ scoreIncrement: 4 }));
      assert.equal((await get('/api/v1/scores/user/p3', 'p3')).json().data.score, 5);
    });

    it("makes the user of a refused first attempt before answering, as for any token (the update's own statement makes an accepted one's)", async () => {
      const refused = await t.post('refused-first', { ...t.body({ scoreIncrement: 5 }), clientSignature: '0'.repeat(64) });
      assert.equal(refused.statusCode, 403);
      const user = (await get('/api/v1/scores/user/refused-first', 'p1')).json().data;
      assert.deepEqual([user.username, user.score, user.totalActions], ['Player refused-first', 0, 0]);
      assert.equal(await t.scoreInDb('refused-first'), 0);
      const accepted = await t.post('refused-first', t.body({ scoreIncrement: 5 }));
      assert.equal(accepted.json().data.newScore, 5);
    });

    it('tells pollers whether the top 10 changed since a time', async () => {
      const first = (await get('/api/v1/scores/leaderboard/changes')).json().data;
      assert.equal(first.hasChanges, true);
      assert.equal(first.leaderboard[0].userId, 'p2');
      const quiet = (await get(`/api/v1/scores/leaderboard/changes?since=${encodeURIComponent(first.lastUpdated)}`)).json().data;
      assert.equal(quiet.hasChanges, false);
      assert.equal(quiet.lastUpdated, first.lastUpdated);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await t.post('p1', t.body({ scoreIncrement: 50 }));
      const moved = (await get(`/api/v1/scores/leaderboard/changes?since=${encodeURIComponent(first.lastUpdated)}`)).json().data;
      assert.equal(moved.hasChanges, true);
      assert.equal(moved.leaderboard[0].userId, 'p1');
      assert.ok(Date.parse(moved.lastUpdated) > Date.parse(first.lastUpdated));
    });

    it("returns a player's own history, newest first, with a cursor", async () => {
      const page1 = (await get('/api/v1/scores/user/p2/history?limit=1', 'p2')).json().data;
      assert.equal(page1.history.length, 1);
      assert.equal(page1.history[0].actionType, 'ACHIEVEMENT');
      assert.deepEqual([page1.history[0].scoreBefore, page1.history[0].scoreAfter], [20, 35]);
      assert.equal(typeof page1.nextBefore, 'number');
      const page2 = (await get(`/api/v1/scores/user/p2/history?limit=1&before=${page1.nextBefore}`, 'p2')).json().data;
      assert.equal(page2.history[0].actionType, 'TASK_COMPLETE');
      const admin = await t.app.inject({ method: 'GET', url: '/api/v1/scores/user/p2/history', headers: { authorization: `Bearer ${t.token('root', { role: 'admin' })}` } });
      assert.equal(admin.statusCode, 200);
      assert.equal(admin.json().data.history.length, 2);
    });

    it('reports health', async () => {
      const health = await get('/health');
      assert.equal(health.statusCode, 200);
      const body = health.json();
      assert.equal(body.status, 'healthy');
      assert.equal(body.services.database, 'connected');
      assert.equal(body.services.redis, mode === 'embedded' ? 'embedded' : 'connected');
      assert.equal(typeof body.uptime, 'number');
      assert.equal((await get('/health/live')).statusCode, 200);
      assert.equal((await get('/health/ready')).statusCode, 200);
      // Once shutdown begins, readiness fails so that load balancers stop sending.
      t.app.lifecycle.shuttingDown = true;
      const draining = await get('/health/ready');
      t.app.lifecycle.shuttingDown = false;
      assert.deepEqual([draining.statusCode, draining.json().status], [503, 'shutting down']);
    });

    it('serves the live page at /', async () => {
      const page = await get('/');
      assert.equal(page.statusCode, 200);
      assert.match(page.headers['content-type'] as string, /text\/html/);
      assert.match(page.body, /Leaderboard/);
    });
  });

  describe(`a private leaderboard (${mode})`, { skip }, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(mode, { LEADERBOARD_PUBLIC: 'false' });
    });
    after(() => t.close());
    it('needs a token when LEADERBOARD_PUBLIC=false', async () => {
      assert.equal((await t.app.inject({ url: '/api/v1/scores/leaderboard' })).statusCode, 401);
      const ok = await t.app.inject({ url: '/api/v1/scores/leaderboard', headers: { authorization: `Bearer ${t.token('x')}` } });
      assert.equal(ok.statusCode, 200);
    });
  });

  describe(`restart (${mode})`, { skip }, () => {
    it('the rank index is rebuilt from the database when the app starts', async () => {
      const t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
      try {
        await t.post('r1', t.body({ scoreIncrement: 12 }));
        await t.post('r2', t.body({ scoreIncrement: 40 }));
        // Wipe the index, as a restart of an in-process index or a flushed Redis would.
        await t.backends.rankIndex.replaceAll('global', (async function* () {})());
        assert.equal((await t.app.inject({ url: '/api/v1/scores/leaderboard' })).json().data.leaderboard.length, 0);
        await t.app.services.leaderboard.rebuild();
        const board = (await t.app.inject({ url: '/api/v1/scores/leaderboard' })).json().data.leaderboard;
        assert.deepEqual(board.map((e: { userId: string; score: number }) => [e.userId, e.score]), [['r2', 40], ['r1', 12]]);
      } finally {
        await t.close();
      }
    });
  });
}
