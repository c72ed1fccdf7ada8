import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { signSubmission } from '../../src/boards/board-signature.js';
import { actionsFile, createTestApp, FAST_ACTIONS, MODES, TEST_HMAC_KEY, type TestApp } from '../helpers/app.js';
import { connected, openSocket, sleep, type RecordingSocket } from '../helpers/sockets.js';

const ALL = { id: 'all', startsAt: null, endsAt: null };
const BROADCAST_INTERVAL_MS = 100;

function submission(boardId: string, score: number) {
  const unsigned = { actionId: randomUUID(), score, timestamp: new Date().toISOString() };
  return { ...unsigned, clientSignature: signSubmission(TEST_HMAC_KEY, { ...unsigned, boardId }) };
}

const subscribe = (recording: RecordingSocket, payload: unknown) => recording.socket.timeout(3000).emitWithAck('board:subscribe', payload);
const unsubscribe = (recording: RecordingSocket, payload: unknown) => recording.socket.timeout(3000).emitWithAck('board:unsubscribe', payload);
const updatesOf = (recording: RecordingSocket, boardId: string) => recording.events.filter((e) => e.name === 'board:update' && e.payload.boardId === boardId).map((e) => e.payload);
const top = (payload: { leaderboard: { userId: string; score: number }[] }) => payload.leaderboard.map((e) => [e.userId, e.score]);

for (const { mode, skip } of MODES) {
  describe(`board subscriptions over Socket.IO (${mode})`, { skip }, () => {
    let t: TestApp;
    let url: string;
    /** How far the app's board clock runs ahead of the real one (moved forward only). */
    let skewMs = 0;
    const sockets: RecordingSocket[] = [];
    const open = async (auth: Record<string, unknown> = {}) => {
      const recording = openSocket(url, auth);
      sockets.push(recording);
      await connected(recording);
      return recording;
    };
    const admin = () => ({ authorization: `Bearer ${t.token('root', { role: 'admin' })}` });
    const create = async (definition: object) => {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/admin/boards', headers: admin(), payload: definition });
      assert.equal(response.statusCode, 201, response.body);
    };
    const submit = async (userId: string, boardId: string, score: number) => {
      const response = await t.app.inject({ method: 'POST', url: `/api/v1/boards/${boardId}/scores`, headers: { authorization: `Bearer ${t.token(userId)}` }, payload: submission(boardId, score) });
      assert.equal(response.statusCode, 200, response.body);
      return response.json().data;
    };
    const restTop = async (boardId: string) => (await t.app.inject({ url: `/api/v1/boards/${boardId}/entries?limit=10` })).json().data;

    before(async () => {
      t = await createTestApp(
        mode,
        { ACTIONS_CONFIG: actionsFile(FAST_ACTIONS), BROADCAST_INTERVAL_MS: String(BROADCAST_INTERVAL_MS), RANK_WATCH_INTERVAL_MS: '200' },
        { clock: () => Date.now() + skewMs },
      );
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
      await create({ id: 'arena', title: 'Arena', operator: 'best' });
      await create({ id: 'laps', sortOrder: 'asc', operator: 'best', minScore: 1, maxScore: 1_000_000 });
      await create({ id: 'weekly', reset: 'weekly', actions: ['TASK_COMPLETE'] });
      await create({ id: 'minutely', operator: 'best', reset: '* * * * *' });
    });
    after(async () => {
      for (const recording of sockets) recording.close();
      await t.close();
    });

    it('acks a subscription with the board and its period, then sends the snapshot at once', async () => {
      await submit('amy', 'arena', 70);
      await submit('bob', 'arena', 90);
      const spectator = await open();
      const ack = await subscribe(spectator, { boardId: 'arena' });
      assert.deepEqual(ack, { ok: true, boardId: 'arena', period: ALL });
      const snapshot = await spectator.next('board:update', (p) => p.boardId === 'arena');
      assert.deepEqual(Object.keys(snapshot).sort(), ['boardId', 'leaderboard', 'period', 'seq', 'timestamp']);
      assert.deepEqual(snapshot.period, ALL);
      assert.equal(typeof snapshot.seq, 'number');
      assert.ok(!Number.isNaN(Date.parse(snapshot.timestamp)));
      // Entries shaped as leaderboard:update's and the REST answers'.
      assert.deepEqual(snapshot.leaderboard, (await restTop('arena')).entries);
      assert.deepEqual(top(snapshot), [['bob', 90], ['amy', 70]]);
    });

    it('acks a second subscription to a held board as a no-op, without a second snapshot', async () => {
      const spectator = await open();
      await subscribe(spectator, { boardId: 'arena' });
      await spectator.next('board:update');
      assert.deepEqual(await subscribe(spectator, { boardId: 'arena' }), { ok: true, boardId: 'arena', period: ALL });
      await sleep(300);
      assert.equal(updatesOf(spectator, 'arena').length, 1);
    });

    it('refuses an unknown board and malformed payloads with the envelope codes', async () => {
      const spectator = await open();
      const unknown = await subscribe(spectator, { boardId: 'nope' });
      assert.equal(unknown.ok, false);
      assert.equal(unknown.error.code, 'BOARD_NOT_FOUND');
      assert.equal(typeof unknown.error.message, 'string');
      for (const payload of [undefined, 'arena', 42, [], {}, { boardId: 5 }, { boardId: '' }, { boardId: 'x'.repeat(65) }, { boardId: 'arena', extra: true }]) {
        const refused = await subscribe(spectator, payload);
        assert.equal(refused.ok, false, JSON.stringify(payload));
        assert.equal(refused.error.code, 'INVALID_REQUEST', JSON.stringify(payload));
        assert.equal(typeof refused.error.message, 'string');
        assert.equal((await unsubscribe(spectator, payload)).error.code, 'INVALID_REQUEST');
      }
      await sleep(200);
      assert.deepEqual(spectator.names().filter((name) => name === 'board:update'), []);
      assert.deepEqual(await unsubscribe(spectator, { boardId: 'never-held' }), { ok: true });
    });

    it('broadcasts board:update when the top changes, seq +1 per board, to that board’s subscribers only', async () => {
      const arena = await open();
      const weekly = await open();
      await subscribe(arena, { boardId: 'arena' });
      const weeklyAck = await subscribe(weekly, { boardId: 'weekly' });
      assert.equal(weeklyAck.ok, true);
      assert.equal(weeklyAck.period.endsAt, new Date(Date.parse(weeklyAck.period.startsAt) + 7 * 86_400_000).toISOString());
      const arenaFirst = await arena.next('board:update');
      const weeklyFirst = await weekly.next('board:update');
      assert.deepEqual(weeklyFirst.period, weeklyAck.period);

      await submit('cid', 'arena', 95);
      const arenaNext = await arena.next('board:update', (p) => p.seq === arenaFirst.seq + 1);
      assert.deepEqual(top(arenaNext), [['cid', 95], ['bob', 90], ['amy', 70]]);
      assert.equal((await t.post('dee', t.body({ scoreIncrement: 20 }))).statusCode, 200);
      const weeklyNext = await weekly.next('board:update', (p) => p.seq === weeklyFirst.seq + 1);
      assert.deepEqual(top(weeklyNext), [['dee', 20]]);
      assert.deepEqual(weeklyNext.period, weeklyAck.period);
      await sleep(300);
      assert.deepEqual(arena.names().filter((n) => n === 'board:update').length, 2, 'the weekly change did not reach the arena socket');
      assert.deepEqual(updatesOf(weekly, 'arena'), []);
      // A submission that does not change the top sends nothing.
      await submit('cid', 'arena', 10);
      await sleep(300);
      assert.equal(updatesOf(arena, 'arena').length, 2);
    });

    it('coalesces a burst per board: far fewer broadcasts, seq consecutive, the last with the final state', async () => {
      const spectator = await open();
      await subscribe(spectator, { boardId: 'laps' });
      const initial = await spectator.next('board:update');
      await Promise.all(Array.from({ length: 120 }, (_, i) => submit(`lap${i % 15}`, 'laps', 100_000 - i * 97)));
      const final = await restTop('laps');
      const last = await spectator.next('board:update', (p) => JSON.stringify(p.leaderboard) === JSON.stringify(final.entries));
      await sleep(300);
      const broadcasts = updatesOf(spectator, 'laps').slice(1);
      assert.ok(broadcasts.length >= 1 && broadcasts.length < 40, `${broadcasts.length} broadcasts for 120 submissions`);
      assert.deepEqual(broadcasts.map((p) => p.seq), broadcasts.map((_, i) => initial.seq + i + 1));
      assert.deepEqual(broadcasts.at(-1), last);
      assert.ok(last.leaderboard.every((e: { score: number }, i: number, all: { score: number }[]) => i === 0 || all[i - 1]!.score <= e.score), 'lowest first');
    });

    it('stops a board’s events after board:unsubscribe', async () => {
      const spectator = await open();
      await subscribe(spectator, { boardId: 'arena' });
      await spectator.next('board:update');
      assert.deepEqual(await unsubscribe(spectator, { boardId: 'arena' }), { ok: true });
      await submit('eve', 'arena', 99);
      await sleep(400);
      assert.equal(updatesOf(spectator, 'arena').length, 1);
    });

    it('serves the global board as a board, with the same top and seq as leaderboard:update', async () => {
      const spectator = await open();
      const ack = await subscribe(spectator, { boardId: 'global' });
      assert.deepEqual(ack, { ok: true, boardId: 'global', period: ALL });
      await spectator.next('board:update', (p) => p.boardId === 'global');
      assert.equal((await t.post('fay', t.body({ scoreIncrement: 50 }))).statusCode, 200);
      const board = await spectator.next('board:update', (p) => p.boardId === 'global' && p.leaderboard.some((e: { userId: string }) => e.userId === 'fay'));
      const live = await spectator.next('leaderboard:update', (p) => p.seq === board.seq);
      assert.deepEqual(board.leaderboard, live.leaderboard);
    });

    it('follows moderation: a removed entry leaves the live top, a deleted board stops its events', async () => {
      await create({ id: 'doomed', operator: 'best' });
      await submit('mod1', 'doomed', 10);
      await submit('mod2', 'doomed', 20);
      const spectator = await open();
      await subscribe(spectator, { boardId: 'doomed' });
      const snapshot = await spectator.next('board:update');
      assert.deepEqual(top(snapshot), [['mod2', 20], ['mod1', 10]]);
      const removed = await t.app.inject({ method: 'DELETE', url: '/api/v1/admin/boards/doomed/entries/mod2', headers: admin() });
      assert.equal(removed.statusCode, 200);
      const after = await spectator.next('board:update', (p) => p.seq === snapshot.seq + 1);
      assert.deepEqual(top(after), [['mod1', 10]]);
      assert.equal((await t.app.inject({ method: 'DELETE', url: '/api/v1/admin/boards/doomed', headers: admin() })).statusCode, 200);
      assert.equal((await subscribe(spectator, { boardId: 'doomed' })).error.code, 'BOARD_NOT_FOUND');
      await sleep(300);
      assert.equal(updatesOf(spectator, 'doomed').length, 2);
    });

    it('gives a recovered connection a fresh snapshot of each board it held', async () => {
      const recording = openSocket(url, {}, { reconnection: true });
      sockets.push(recording);
      await connected(recording);
      await subscribe(recording, { boardId: 'arena' });
      await recording.next('board:update');
      await sleep(100);
      const reconnected = new Promise<void>((resolve) => recording.socket.once('connect', () => resolve()));
      (recording.socket.io.engine as unknown as { close(): void }).close();
      await reconnected;
      assert.equal(recording.socket.recovered, true);
      await recording.next('board:update', () => updatesOf(recording, 'arena').length === 2);
      assert.equal((await subscribe(recording, { boardId: 'arena' })).ok, true, 'still held');
      await sleep(200);
      assert.equal(updatesOf(recording, 'arena').length, 2);
    });

    it('tells other instances nothing about boards nobody watches', { skip: mode === 'embedded' ? 'one process: no channel' : false }, async () => {
      await create({ id: 'unwatched', operator: 'best' });
      const listener = t.backends.redis!.duplicate({ lazyConnect: false, enableOfflineQueue: true });
      const messages: string[] = [];
      try {
        await listener.subscribe(`${t.config.redis!.keyPrefix}board:changed:unwatched`);
        listener.on('message', (_channel: string, message: string) => messages.push(message));
        for (let i = 1; i <= 5; i++) await submit(`un${i}`, 'unwatched', i * 10);
        await sleep(400);
        assert.deepEqual(messages, [], 'no broadcaster, no message');
        const spectator = await open();
        await subscribe(spectator, { boardId: 'unwatched' });
        await submit('un9', 'unwatched', 90);
        await spectator.next('board:update', (p) => p.leaderboard[0]?.userId === 'un9');
        await sleep(200);
        assert.ok(messages.length >= 1, 'once watched, its changes are told on its channel');
      } finally {
        listener.disconnect();
      }
    });

    it('holds at most 50 boards per socket', async () => {
      for (let i = 0; i < 50; i++) await create({ id: `cap-${String(i).padStart(2, '0')}` });
      const spectator = await open();
      for (let i = 0; i < 50; i++) assert.equal((await subscribe(spectator, { boardId: `cap-${String(i).padStart(2, '0')}` })).ok, true);
      const over = await subscribe(spectator, { boardId: 'arena' });
      assert.equal(over.ok, false);
      assert.equal(over.error.code, 'RATE_LIMIT_EXCEEDED');
      assert.equal((await subscribe(spectator, { boardId: 'cap-07' })).ok, true, 'a held board still acks ok');
      assert.deepEqual(await unsubscribe(spectator, { boardId: 'cap-07' }), { ok: true });
      assert.equal((await subscribe(spectator, { boardId: 'arena' })).ok, true);
      // Another socket has its own 50.
      const other = await open();
      assert.equal((await subscribe(other, { boardId: 'cap-07' })).ok, true);
    });

    it('sends rank:changed with boardId and period for every board the player’s own write moved them on', async () => {
      const gil = await open({ token: t.token('gil') });
      const arenaResult = await submit('gil', 'arena', 60);
      const first = await gil.next('rank:changed', (p) => p.boardId === 'arena');
      assert.deepEqual(first, { userId: 'gil', newRank: arenaResult.rank, oldRank: null, newScore: 60, boardId: 'arena', period: ALL });
      const update = await t.post('gil', t.body({ scoreIncrement: 45 }));
      assert.equal(update.statusCode, 200);
      const fed = update.json().data.boards[0];
      const weekly = await gil.next('rank:changed', (p) => p.boardId === 'weekly');
      const weeklyBoard = (await t.app.inject({ url: '/api/v1/boards/weekly' })).json().data;
      assert.deepEqual(weekly, { userId: 'gil', newRank: fed.rank, oldRank: null, newScore: 45, boardId: 'weekly', period: weeklyBoard.period });
      const global = await gil.next('rank:changed', (p) => p.boardId === 'global');
      assert.deepEqual(global.period, ALL);
      // A write that moves nothing tells nothing.
      const before = gil.events.filter((e) => e.name === 'rank:changed').length;
      await submit('gil', 'arena', 1);
      await sleep(300);
      assert.equal(gil.events.filter((e) => e.name === 'rank:changed').length, before);
    });

    it('tells a subscribed player overtaken on a board, once; not on boards they do not subscribe to', async () => {
      await submit('hal', 'laps', 500);
      await submit('hal', 'arena', 1000);
      const hal = await open({ token: t.token('hal') });
      assert.equal((await subscribe(hal, { boardId: 'arena' })).ok, true);
      // The board's watcher learns hal's rank (1) first, telling nothing.
      await sleep(600);
      const laps = (await t.app.inject({ url: '/api/v1/boards/laps/entries/hal' })).json().data.entry.rank;
      await submit('ivy', 'arena', 2000);
      await submit('ivy', 'laps', 2);
      const moved = await hal.next('rank:changed', (p) => p.boardId === 'arena', 5000);
      assert.deepEqual(moved, { userId: 'hal', newRank: 2, oldRank: 1, newScore: 1000, boardId: 'arena', period: ALL });
      await sleep(800);
      const told = hal.events.filter((e) => e.name === 'rank:changed').map((e) => e.payload);
      assert.equal(told.filter((p) => p.boardId === 'arena').length, 1, 'one event per move');
      assert.deepEqual(told.filter((p) => p.boardId === 'laps'), [], `laps (rank ${laps} to ${laps + 1}) is not subscribed`);
    });

    it('watches the rank of a player who signs in after subscribing', async () => {
      await submit('lee', 'laps', 3);
      const lee = await open();
      assert.equal((await subscribe(lee, { boardId: 'laps' })).ok, true);
      assert.deepEqual(await lee.socket.timeout(2000).emitWithAck('authenticate', { token: t.token('lee') }), { ok: true, userId: 'lee' });
      await sleep(600);
      const before = (await t.app.inject({ url: '/api/v1/boards/laps/entries/lee' })).json().data.entry.rank;
      await submit('mae', 'laps', 1);
      const moved = await lee.next('rank:changed', (p) => p.boardId === 'laps', 5000);
      assert.deepEqual(moved, { userId: 'lee', newRank: before + 1, oldRank: before, newScore: 3, boardId: 'laps', period: ALL });
    });

    it('sends the new period’s board:update within BROADCAST_INTERVAL_MS + 1 s of the boundary', async () => {
      // The board clock jumps to 1.5 s before the next minute.
      const realNow = Date.now();
      const boardNow = realNow + skewMs;
      const boundaryMs = Math.ceil((boardNow + 3000) / 60_000) * 60_000;
      skewMs = boundaryMs - 1500 - realNow;
      await submit('jon', 'minutely', 5);
      await submit('kim', 'minutely', 8);
      const spectator = await open({ token: t.token('jon') });
      const ack = await subscribe(spectator, { boardId: 'minutely' });
      assert.deepEqual(ack.period, { id: new Date(boundaryMs - 60_000).toISOString(), startsAt: new Date(boundaryMs - 60_000).toISOString(), endsAt: new Date(boundaryMs).toISOString() });
      const snapshot = await spectator.next('board:update', (p) => p.boardId === 'minutely');
      assert.deepEqual(top(snapshot), [['kim', 8], ['jon', 5]]);
      const next = await spectator.next('board:update', (p) => p.boardId === 'minutely' && p.period.id === new Date(boundaryMs).toISOString(), 4000);
      const lateMs = Date.now() + skewMs - boundaryMs;
      assert.ok(lateMs >= 0 && lateMs <= BROADCAST_INTERVAL_MS + 1000, `${lateMs} ms after the boundary`);
      assert.deepEqual(next.period, { id: new Date(boundaryMs).toISOString(), startsAt: new Date(boundaryMs).toISOString(), endsAt: new Date(boundaryMs + 60_000).toISOString() });
      assert.deepEqual(next.leaderboard, []);
      assert.equal(next.seq, snapshot.seq + 1);
      // The new period fills from scratch, and its updates name it.
      await submit('kim', 'minutely', 3);
      const filled = await spectator.next('board:update', (p) => p.boardId === 'minutely' && p.leaderboard.length === 1);
      assert.deepEqual(filled.period, next.period);
      const rank = await spectator.next('rank:changed', (p) => p.boardId === 'minutely' && p.userId === 'jon', 200).catch(() => null);
      assert.equal(rank, null, 'jon has no entry in the new period: nobody passed him');
    });
  });

  describe(`board subscriptions when boards are private (${mode})`, { skip }, () => {
    let t: TestApp;
    let url: string;
    before(async () => {
      t = await createTestApp(mode, { LEADERBOARD_PUBLIC: 'false' });
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    });
    after(() => t.close());

    it('refuses anonymous sockets UNAUTHORIZED, and accepts them once authenticated', async () => {
      const anonymous = openSocket(url);
      try {
        await connected(anonymous);
        const refused = await subscribe(anonymous, { boardId: 'global' });
        assert.equal(refused.ok, false);
        assert.equal(refused.error.code, 'UNAUTHORIZED');
        assert.deepEqual(await anonymous.socket.timeout(2000).emitWithAck('authenticate', { token: t.token('member') }), { ok: true, userId: 'member' });
        assert.deepEqual(await subscribe(anonymous, { boardId: 'global' }), { ok: true, boardId: 'global', period: ALL });
        await anonymous.next('board:update');
      } finally {
        anonymous.close();
      }
      const signedIn = openSocket(url, { token: t.token('other') });
      try {
        await connected(signedIn);
        assert.equal((await subscribe(signedIn, { boardId: 'global' })).ok, true);
      } finally {
        signedIn.close();
      }
    });
  });
}
