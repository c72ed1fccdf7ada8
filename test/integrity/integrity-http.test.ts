import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, type TestApp } from '../helpers/app.js';
import { connected, openSocket, sleep } from '../helpers/sockets.js';

const as = (t: TestApp, userId: string, admin = false) => ({ authorization: `Bearer ${admin ? t.token(userId, { role: 'admin' }) : t.token(userId)}` });

for (const { mode, skip } of MODES) {
  describe(`freeze, unfreeze, export and erase with their permissions (${mode})`, { skip }, () => {
    let t: TestApp;
    let url: string;
    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
      for (const [userId, score] of [['ann', 30], ['ben', 20], ['cat', 10]] as const) {
        assert.equal((await t.post(userId, t.body({ scoreIncrement: score }))).statusCode, 200);
      }
    });
    after(() => t.close());

    it('freeze and unfreeze: admin only; a frozen account cannot score until unfrozen', async () => {
      const byPlayer = await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/ben/freeze', headers: as(t, 'ann'), payload: { reason: 'x' } });
      assert.equal(byPlayer.statusCode, 403);
      assert.equal(byPlayer.json().error.details.reason, 'NOT_ALLOWED');
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/ben/freeze', payload: { reason: 'x' } })).statusCode, 401);
      const unknown = await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/nobody/freeze', headers: as(t, 'root', true), payload: { reason: 'x' } });
      assert.equal(unknown.json().error.code, 'USER_NOT_FOUND');
      const frozen = await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/ben/freeze', headers: as(t, 'root', true), payload: { reason: 'chargeback' } });
      assert.deepEqual(frozen.json().data, { userId: 'ben', status: 'frozen', reason: 'chargeback', hidden: false });
      const refused = await t.post('ben', t.body());
      assert.equal(refused.json().error.details.reason, 'ACCOUNT_FROZEN');
      assert.equal(await t.scoreInDb('ben'), 20);
      const thawed = await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/ben/unfreeze', headers: as(t, 'root', true), payload: {} });
      assert.equal(thawed.json().data.status, 'active');
      assert.equal((await t.post('ben', t.body({ scoreIncrement: 5 }))).statusCode, 200);
    });

    it('export: the user themselves or an admin, with everything stored', async () => {
      const own = await t.app.inject({ url: '/api/v1/users/ann/export', headers: as(t, 'ann') });
      assert.equal(own.statusCode, 200);
      assert.match(own.headers['content-disposition'] as string, /attachment/);
      const data = own.json().data;
      assert.equal(data.user.id, 'ann');
      assert.equal(data.user.username, 'Player ann');
      assert.equal(data.score.score, 30);
      assert.equal(data.history.length, 1);
      assert.equal(data.history[0].score_increment, 30);
      assert.deepEqual(data.suspiciousActivity, []);
      const other = await t.app.inject({ url: '/api/v1/users/ann/export', headers: as(t, 'ben') });
      assert.equal(other.statusCode, 403);
      assert.equal(other.json().error.details.reason, 'NOT_ALLOWED');
      assert.equal((await t.app.inject({ url: '/api/v1/users/ann/export', headers: as(t, 'root', true) })).statusCode, 200);
      assert.equal((await t.app.inject({ url: '/api/v1/users/ghost/export', headers: as(t, 'root', true) })).json().error.code, 'USER_NOT_FOUND');
    });

    it('erase: the user themselves or an admin; the data is gone and the live leaderboard updates', async () => {
      const spectator = openSocket(url);
      try {
        await connected(spectator);
        await spectator.next('leaderboard:update', (p) => p.leaderboard.some((e: { userId: string }) => e.userId === 'cat'));
        // Only what arrives after the erasure counts (the snapshot on connect may be an older broadcast).
        const seenBefore = spectator.events.slice();
        spectator.events.length = 0;
        const other = await t.app.inject({ method: 'DELETE', url: '/api/v1/users/cat', headers: as(t, 'ann') });
        assert.equal(other.statusCode, 403);
        const erased = await t.app.inject({ method: 'DELETE', url: '/api/v1/users/cat', headers: as(t, 'cat') });
        assert.equal(erased.statusCode, 200);
        assert.deepEqual(erased.json().data, { userId: 'cat', erased: true });
        for (const table of ['users WHERE id', 'scores WHERE user_id', 'score_history WHERE user_id', 'suspicious_activity WHERE user_id']) {
          const [row] = await t.backends.sql.query(`SELECT count(*)::bigint AS n FROM ${table} = 'cat'`);
          assert.equal(row?.n, 0, table);
        }
        const live = await spectator.next('leaderboard:update', (p) => !p.leaderboard.some((e: { userId: string }) => e.userId === 'cat'));
        const board = (await t.app.inject({ url: '/api/v1/scores/leaderboard' })).json().data.leaderboard;
        // Everything the socket saw after the erasure and what the board says now, should they disagree.
        const seen = JSON.stringify({ before: seenBefore, after: spectator.events, board });
        assert.deepEqual(live.leaderboard.map((e: { userId: string }) => e.userId), ['ann', 'ben'], seen);
        assert.deepEqual(board.map((e: { userId: string }) => e.userId), ['ann', 'ben'], seen);
        const byAdmin = await t.app.inject({ method: 'DELETE', url: '/api/v1/users/ben', headers: as(t, 'root', true) });
        assert.equal(byAdmin.statusCode, 200);
        assert.equal((await t.app.inject({ url: '/api/v1/users/ben/export', headers: as(t, 'root', true) })).statusCode, 404);
      } finally {
        spectator.close();
      }
    });
  });

  describe(`flags: suspicious activity, tighter limit, live feed, webhook (${mode})`, { skip }, () => {
    let t: TestApp;
    let url: string;
    let hook: Server;
    const received: unknown[] = [];
    before(async () => {
      let failOnce = true;
      hook = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          // The first delivery fails: the alert must be retried.
          if (failOnce) {
            failOnce = false;
            response.writeHead(503).end();
            return;
          }
          received.push(JSON.parse(body));
          response.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
      const port = (hook.address() as { port: number }).port;
      t = await createTestApp(mode, {
        ACTIONS_CONFIG: actionsFile(FAST_ACTIONS),
        ANOMALY_SIGNATURE_FAILURES: '3',
        FLAGGED_RATE_LIMIT_MAX_REQUESTS: '2',
        ALERT_WEBHOOK_URL: `http://127.0.0.1:${port}/alerts`,
      });
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(async () => {
      await t.close();
      await new Promise((resolve) => hook.close(resolve));
    });

    it('repeated signature failures flag the player: a row with evidence, the admin feed, metrics, webhook, tighter limit', async () => {
      const admin = openSocket(url, { token: t.token('root', { role: 'admin' }) });
      const player = openSocket(url, { token: t.token('mallory') });
      try {
        await Promise.all([connected(admin), connected(player)]);
        for (let i = 0; i < 3; i++) {
          const forged = await t.post('mallory', t.body({ clientSignature: 'ab'.repeat(32) }));
          assert.equal(forged.json().error.details.reason, 'INVALID_SIGNATURE');
        }
        const feed = await admin.next('suspicious:flagged');
        assert.equal(feed.userId, 'mallory');
        assert.equal(feed.reason, 'SIGNATURE_FAILURES');
        assert.equal(feed.details.failures, 3);
        assert.equal(feed.frozen, false);
        await sleep(100);
        assert.ok(!player.names().includes('suspicious:flagged'), 'players do not see the admin feed');

        const list = await t.app.inject({ url: '/api/v1/admin/suspicious-activity?userId=mallory', headers: as(t, 'root', true) });
        assert.equal(list.statusCode, 200);
        const [row] = list.json().data.activity;
        assert.equal(row.reason, 'SIGNATURE_FAILURES');
        assert.equal(row.username, 'Player mallory');
        assert.equal((await t.app.inject({ url: '/api/v1/admin/suspicious-activity', headers: as(t, 'mallory') })).statusCode, 403);

        const metrics = (await t.app.inject({ url: '/metrics' })).body;
        assert.match(metrics, /fraud_checks_total\{check="signature_failures",result="fail"\} 1/);

        // The flag tightened the limit to 2 per window (the normal limit is far higher).
        const statuses = [];
        for (let i = 0; i < 3; i++) statuses.push((await t.post('mallory', t.body({ scoreIncrement: 1 }))).statusCode);
        assert.deepEqual(statuses, [200, 200, 429]);
        assert.equal((await t.post('honest-joe', t.body())).statusCode, 200);

        const deadline = Date.now() + 8000;
        while (received.length === 0 && Date.now() < deadline) await sleep(100);
        assert.equal(received.length, 1, 'the webhook got the alert after a retry');
        assert.equal((received[0] as { reason: string }).reason, 'SIGNATURE_FAILURES');
        assert.equal((received[0] as { userId: string }).userId, 'mallory');

        const activity = await t.app.inject({ url: '/api/v1/admin/activity?seconds=60', headers: as(t, 'root', true) });
        const seconds = activity.json().data.seconds as { applied: number; rejected: Record<string, number> }[];
        assert.equal(seconds.length, 60);
        assert.equal(seconds.reduce((sum, s) => sum + (s.rejected.INVALID_SIGNATURE ?? 0), 0), 3);
        assert.equal(seconds.reduce((sum, s) => sum + s.applied, 0), 3);
      } finally {
        admin.close();
        player.close();
      }
    });

    it('the rows carry whether the player is hidden from boards: true after a freeze with hide, false after the unfreeze', async () => {
      for (let i = 0; i < 3; i++) {
        const forged = await t.post('eve', t.body({ clientSignature: 'ab'.repeat(32) }));
        assert.equal(forged.json().error.details.reason, 'INVALID_SIGNATURE');
      }
      const admin = as(t, 'root', true);
      const rowsOf = async (query: string) => {
        const list = await t.app.inject({ url: `/api/v1/admin/suspicious-activity${query}`, headers: admin });
        assert.equal(list.statusCode, 200, list.body);
        return (list.json().data.activity as { userId: string; status: string; hidden: boolean }[])
          .filter((row) => row.userId === 'eve')
          .map(({ status, hidden }) => ({ status, hidden }));
      };
      // The flag is written after the third refusal is answered.
      const deadline = Date.now() + 4000;
      while ((await rowsOf('?userId=eve')).length === 0 && Date.now() < deadline) await sleep(50);
      assert.deepEqual(await rowsOf('?userId=eve'), [{ status: 'active', hidden: false }]);

      const frozen = await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/eve/freeze', headers: admin, payload: { reason: 'forged signatures', hide: true } });
      assert.equal(frozen.json().data.hidden, true);
      assert.deepEqual(await rowsOf('?userId=eve'), [{ status: 'frozen', hidden: true }], 'the rows say what the freeze answered');
      assert.deepEqual(await rowsOf(''), [{ status: 'frozen', hidden: true }], 'in the whole feed too');

      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/eve/unfreeze', headers: admin, payload: {} })).statusCode, 200);
      assert.deepEqual(await rowsOf('?userId=eve'), [{ status: 'active', hidden: false }], 'unfreezing unhides');

      // Frozen without hide: frozen, not hidden.
      await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/eve/freeze', headers: admin, payload: { reason: 'review' } });
      assert.deepEqual(await rowsOf('?userId=eve'), [{ status: 'frozen', hidden: false }]);
    });
  });

  describe(`AUTO_FREEZE (${mode})`, { skip }, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), ANOMALY_DISTINCT_IPS: '3', AUTO_FREEZE: 'true', TRUST_PROXY: 'true' });
    });
    after(() => t.close());

    it('freezes a flagged account until an admin unfreezes it', async () => {
      for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
        assert.equal((await t.post('hopper', t.body({ scoreIncrement: 1 }), { 'x-forwarded-for': ip })).statusCode, 200);
      }
      let frozen = false;
      for (let i = 0; i < 40 && !frozen; i++) {
        await sleep(50);
        const [row] = await t.backends.sql.query(`SELECT status, frozen_reason FROM users WHERE id = 'hopper'`);
        frozen = row?.status === 'frozen';
        if (frozen) assert.equal(row?.frozen_reason, 'auto-frozen: IP_BURST');
      }
      assert.ok(frozen, 'the account was frozen');
      const refused = await t.post('hopper', t.body());
      assert.equal(refused.json().error.details.reason, 'ACCOUNT_FROZEN');
      await t.app.inject({ method: 'POST', url: '/api/v1/admin/users/hopper/unfreeze', headers: as(t, 'root', true), payload: {} });
      assert.equal((await t.post('hopper', t.body({ scoreIncrement: 1 }), { 'x-forwarded-for': '198.51.100.1' })).statusCode, 200);
    });
  });
}
