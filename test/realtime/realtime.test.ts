import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, type TestApp } from '../helpers/app.js';
import { connected, openSocket, sleep, type RecordingSocket } from '../helpers/sockets.js';

for (const { mode, skip } of MODES) {
  describe(`live updates over Socket.IO (${mode})`, { skip }, () => {
    let t: TestApp;
    let url: string;
    const sockets: RecordingSocket[] = [];
    const open = async (auth: Record<string, unknown> = {}, options: { reconnection?: boolean } = {}) => {
      const recording = openSocket(url, auth, options);
      sockets.push(recording);
      await connected(recording);
      return recording;
    };

    before(async () => {
      t = await createTestApp(mode, { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), BROADCAST_INTERVAL_MS: '100' });
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(async () => {
      for (const recording of sockets) recording.close();
      await t.close();
    });

    it('sends the current top 10 on connect, to anonymous spectators of a public board', async () => {
      await t.post('alice', t.body({ scoreIncrement: 40 }));
      await t.post('bob', t.body({ scoreIncrement: 20 }));
      await sleep(250);
      const settled = await open();
      const first = await settled.next('leaderboard:update');
      assert.equal(first.leaderboard.length, 2, 'once broadcast, the snapshot on connect holds the change');
      const spectator = await open();
      // The snapshot is the last broadcast; a change made just before follows within the interval.
      const snapshot = await spectator.next('leaderboard:update', (p) => p.leaderboard.length === 2);
      assert.deepEqual(snapshot.leaderboard.map((e: { userId: string; score: number; rank: number }) => [e.rank, e.userId, e.score]), [
        [1, 'alice', 40],
        [2, 'bob', 20],
      ]);
      assert.equal(typeof snapshot.seq, 'number');
      assert.ok(!Number.isNaN(Date.parse(snapshot.timestamp)));
      assert.equal(snapshot.leaderboard[0].username, 'Player alice');
    });

    it('broadcasts leaderboard:update when the top 10 changes, with seq rising by one', async () => {
      const spectator = await open();
      const first = await spectator.next('leaderboard:update');
      await t.post('carol', t.body({ scoreIncrement: 50 }));
      const update = await spectator.next('leaderboard:update', (p) => p.leaderboard[0]?.userId === 'carol');
      assert.equal(update.seq, first.seq + 1);
      assert.deepEqual(update.leaderboard.map((e: { userId: string }) => e.userId), ['carol', 'alice', 'bob']);
    });

    it('refuses a bad handshake token with connect_error UNAUTHORIZED and the reason in its data', async () => {
      // A forged signature: one character in its middle changed (the last ones may differ only in
      // base64url padding bits, which leaves the signature as it was).
      const valid = t.token('x');
      const at = valid.lastIndexOf('.') + 10;
      const forged = valid.slice(0, at) + (valid[at] === 'A' ? 'B' : 'A') + valid.slice(at + 1);
      for (const [token, reason] of [['garbage', 'TOKEN_MALFORMED'], [forged, 'BAD_SIGNATURE'], [42, 'TOKEN_MALFORMED']] as const) {
        const recording = openSocket(url, { token });
        sockets.push(recording);
        await assert.rejects(connected(recording), (error: Error & { data?: unknown }) => {
          assert.equal(error.message, 'UNAUTHORIZED');
          assert.deepEqual(error.data, { reason });
          return true;
        });
      }
    });

    it("sends score:updated and rank:changed only to the scoring player's sockets", async () => {
      const dave = await open({ token: t.token('dave') });
      const other = await open({ token: t.token('erin') });
      await t.post('dave', t.body({ scoreIncrement: 5 }));
      const scored = await dave.next('score:updated');
      assert.deepEqual(scored, { userId: 'dave', newScore: 5, increment: 5 });
      const ranked = await dave.next('rank:changed');
      assert.deepEqual(ranked, { userId: 'dave', newRank: 4, oldRank: null, newScore: 5, boardId: 'global', period: { id: 'all', startsAt: null, endsAt: null } });
      await t.post('dave', t.body({ scoreIncrement: 45 }));
      const moved = await dave.next('rank:changed', (p) => p.newScore === 50);
      assert.equal(moved.oldRank, 4);
      assert.equal(moved.newRank, 2);
      await sleep(200);
      assert.ok(!other.names().includes('score:updated'), 'another player sees none of it');
      assert.ok(!other.names().includes('rank:changed'));
    });

    it('authenticates after connecting with the authenticate event and its ack', async () => {
      const late = await open();
      const refused = await late.socket.timeout(2000).emitWithAck('authenticate', { token: 'nope' });
      assert.deepEqual(refused, { ok: false, error: 'UNAUTHORIZED', reason: 'TOKEN_MALFORMED' });
      const missing = await late.socket.timeout(2000).emitWithAck('authenticate', {});
      assert.deepEqual(missing, { ok: false, error: 'UNAUTHORIZED', reason: 'TOKEN_MISSING' });
      const accepted = await late.socket.timeout(2000).emitWithAck('authenticate', { token: t.token('frank') });
      assert.deepEqual(accepted, { ok: true, userId: 'frank' });
      await t.post('frank', t.body({ scoreIncrement: 3 }));
      assert.deepEqual(await late.next('score:updated'), { userId: 'frank', newScore: 3, increment: 3 });
    });

    it('gives legacy clients the second specification’s events and nothing else', async () => {
      const legacy = await open({ token: t.token('gina'), protocol: 'legacy' });
      const snapshot = await legacy.next('leaderboard_changed');
      assert.equal(snapshot.event, 'leaderboard_changed');
      assert.ok(Array.isArray(snapshot.leaderboard) && snapshot.leaderboard.length > 0);
      await t.post('gina', t.body({ scoreIncrement: 200, actionType: 'ACHIEVEMENT' }));
      const scored = await legacy.next('score_updated');
      assert.deepEqual(
        { ...scored, timestamp: undefined },
        { event: 'score_updated', userId: 'gina', newScore: 200, scoreIncrease: 200, newRank: 1, timestamp: undefined },
      );
      const position = await legacy.next('user_position_changed');
      assert.equal(position.newRank, 1);
      const board = await legacy.next('leaderboard_changed', (p) => p.leaderboard[0]?.userId === 'gina');
      assert.equal(board.userId, 'gina');
      assert.equal(board.scoreIncrease, 200);
      await sleep(150);
      const v1Events = legacy.names().filter((name) => name.includes(':'));
      assert.deepEqual(v1Events, [], 'no v1 event reaches a legacy client');
    });

    it('coalesces a burst: 200 updates give far fewer broadcasts, the last with the final state', async () => {
      const spectator = await open();
      const initial = await spectator.next('leaderboard:update');
      const players = Array.from({ length: 12 }, (_, i) => `burst${i}`);
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) => t.post(players[i % players.length]!, t.body({ scoreIncrement: 50 + (i % 7) * 20, actionType: 'ACHIEVEMENT' }))),
      );
      assert.ok(responses.every((r) => r.statusCode === 200));
      const finalTop = (await t.app.inject({ url: '/api/v1/scores/leaderboard?limit=10' })).json().data.leaderboard;
      const last = await spectator.next('leaderboard:update', (p) =>
        JSON.stringify(p.leaderboard.map((e: { userId: string; score: number }) => [e.userId, e.score])) ===
        JSON.stringify(finalTop.map((e: { userId: string; score: number }) => [e.userId, e.score])),
      );
      await sleep(300);
      const broadcasts = spectator.events.filter((e) => e.name === 'leaderboard:update').slice(1);
      assert.ok(broadcasts.length >= 1 && broadcasts.length < 40, `${broadcasts.length} broadcasts for 200 updates`);
      assert.deepEqual(broadcasts.map((e) => e.payload.seq), broadcasts.map((_, i) => initial.seq + i + 1), 'seq rises by one');
      assert.deepEqual(broadcasts.at(-1)!.payload, last, 'nothing after the final state');
      // The polling fallback agrees with what the sockets saw.
      const polled = (await t.app.inject({ url: '/api/v1/scores/leaderboard/changes' })).json().data;
      assert.deepEqual(polled.leaderboard, last.leaderboard);
    });

    it('writes no player events to the adapter stream for players without a socket', { skip: mode === 'embedded' ? 'the in-memory adapter has no stream' : false }, async () => {
      const redis = t.backends.redis!;
      const stream = `${t.config.redis!.keyPrefix}socket.io`;
      const before = await redis.xlen(stream);
      for (let i = 0; i < 5; i++) assert.equal((await t.post('unwatched', t.body({ scoreIncrement: 1 }))).statusCode, 200);
      await sleep(100);
      // At most a heartbeat of the adapter; 5 updates with events would have written 10 or more.
      assert.ok((await redis.xlen(stream)) - before <= 1);
      const watcher = await open({ token: t.token('unwatched') });
      await t.post('unwatched', t.body({ scoreIncrement: 1 }));
      assert.deepEqual(await watcher.next('score:updated'), { userId: 'unwatched', newScore: 6, increment: 1 });
      assert.ok((await redis.xlen(stream)) - before >= 1);
    });

    it('recovers a dropped connection with its rooms (connection-state recovery)', async () => {
      const player = await open({ token: t.token('hank') }, { reconnection: true });
      await player.next('leaderboard:update');
      await sleep(100);
      const reconnected = new Promise<void>((resolve) => player.socket.once('connect', () => resolve()));
      // Drop the transport without a clean disconnect, as a flaky network does.
      (player.socket.io.engine as unknown as { close(): void }).close();
      await reconnected;
      assert.equal(player.socket.recovered, true);
      await t.post('hank', t.body({ scoreIncrement: 7 }));
      assert.deepEqual(await player.next('score:updated'), { userId: 'hank', newScore: 7, increment: 7 });
    });
  });

  describe(`live updates on a private board (${mode})`, { skip }, () => {
    let t: TestApp;
    let url: string;
    before(async () => {
      t = await createTestApp(mode, { LEADERBOARD_PUBLIC: 'false' });
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(() => t.close());

    it('sends nothing to anonymous sockets until they authenticate', async () => {
      const anonymous = openSocket(url);
      try {
        await connected(anonymous);
        await sleep(300);
        assert.deepEqual(anonymous.names(), []);
        const ack = await anonymous.socket.timeout(2000).emitWithAck('authenticate', { token: t.token('member') });
        assert.equal(ack.ok, true);
        await anonymous.next('leaderboard:update');
      } finally {
        anonymous.close();
      }
    });
  });
}
