import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, type TestApp } from '../helpers/app.js';
import { connected, openSocket } from '../helpers/sockets.js';

/** 255 printable ASCII characters, every kind an identity provider's `sub` may hold (space, |, %, /, quotes). */
const LONG_ID = `auth0|${' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'.repeat(7)}`.padEnd(255, 'z');

for (const { mode, skip } of MODES) {
  describe(`user ids and display names from identity providers (${mode})`, { skip }, () => {
    let t: TestApp;
    let url: string;
    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS) });
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(() => t.close());

    const asUser = (userId: string) => ({ authorization: `Bearer ${t.token(userId)}` });
    const path = (userId: string) => encodeURIComponent(userId);

    it('scores, ranks, reads, exports and signs in a player whose id is 255 characters long', async () => {
      assert.equal(LONG_ID.length, 255);
      const applied = await t.post(LONG_ID, t.body({ scoreIncrement: 40 }));
      assert.equal(applied.statusCode, 200, applied.body);
      assert.equal(applied.json().data.userId, LONG_ID);
      assert.equal(await t.scoreInDb(LONG_ID), 40);

      // Read-your-write: the answer after the 200 shows the update, even with a read of the top in flight.
      const board = (await t.app.inject({ url: '/api/v1/scores/leaderboard' })).json().data.leaderboard;
      assert.deepEqual(board.map((entry: { userId: string }) => entry.userId), [LONG_ID]);
      const standing = await t.app.inject({ url: `/api/v1/scores/user/${path(LONG_ID)}`, headers: asUser(LONG_ID) });
      assert.equal(standing.statusCode, 200, standing.body);
      assert.deepEqual([standing.json().data.userId, standing.json().data.rank, standing.json().data.score], [LONG_ID, 1, 40]);
      const history = await t.app.inject({ url: `/api/v1/scores/user/${path(LONG_ID)}/history`, headers: asUser(LONG_ID) });
      assert.equal(history.json().data.history.length, 1);
      const exported = await t.app.inject({ url: `/api/v1/users/${path(LONG_ID)}/export`, headers: asUser(LONG_ID) });
      assert.equal(exported.statusCode, 200, exported.body);
      assert.equal(exported.json().data.user.id, LONG_ID);

      const socket = openSocket(url, { token: t.token(LONG_ID) });
      try {
        await connected(socket);
        const event = socket.next('score:updated', (payload) => payload.userId === LONG_ID);
        assert.equal((await t.post(LONG_ID, t.body({ scoreIncrement: 2 }))).statusCode, 200);
        assert.equal((await event).newScore, 42);
      } finally {
        socket.close();
      }
    });

    it('takes a one-character id and an id with spaces', async () => {
      for (const userId of ['x', 'Jane Doe (guest)']) {
        const response = await t.post(userId, t.body({ scoreIncrement: 1 }));
        assert.equal(response.statusCode, 200, response.body);
        const read = await t.app.inject({ url: `/api/v1/scores/user/${path(userId)}`, headers: asUser(userId) });
        assert.equal(read.json().data.userId, userId);
      }
    });

    it('strips bidi overrides, zero-width, other format and C1 control characters from display names', async () => {
      const token = t.token('spoofer', { username: '\u202Eevil\u200B\u2066 na\u0085me\u200F\uFEFF' });
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/scores/update',
        headers: { authorization: `Bearer ${token}` },
        payload: t.body({ scoreIncrement: 1 }),
      });
      assert.equal(response.statusCode, 200, response.body);
      const [row] = await t.backends.sql.query(`SELECT username FROM users WHERE id = 'spoofer'`);
      assert.equal(row?.username, 'evil name');
      const board = (await t.app.inject({ url: '/api/v1/scores/leaderboard?limit=100' })).json().data.leaderboard;
      assert.equal(board.find((entry: { userId: string }) => entry.userId === 'spoofer').username, 'evil name');
      // Other scripts, accents and emoji are kept.
      const kept = t.token('kept', { username: 'Zoë 李 مرحبا 😀' });
      await t.app.inject({ method: 'POST', url: '/api/v1/scores/update', headers: { authorization: `Bearer ${kept}` }, payload: t.body({ scoreIncrement: 1 }) });
      const [keptRow] = await t.backends.sql.query(`SELECT username FROM users WHERE id = 'kept'`);
      assert.equal(keptRow?.username, 'Zoë 李 مرحبا 😀');
    });

    it('refuses a token whose id is 256 characters or not printable ASCII (401), and a path id likewise (400)', async () => {
      for (const userId of ['y'.repeat(256), 'café', 'tab\there', 'nul\u0000']) {
        const response = await t.post(userId, t.body());
        assert.equal(response.statusCode, 401, userId);
        assert.equal(response.json().error.code, 'UNAUTHORIZED');
      }
      const tooLong = await t.app.inject({ url: `/api/v1/scores/user/${'y'.repeat(256)}`, headers: asUser('x') });
      assert.equal(tooLong.statusCode, 400);
      assert.equal(tooLong.json().error.code, 'INVALID_REQUEST');
    });
  });
}
