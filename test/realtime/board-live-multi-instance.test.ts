import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenSigner } from '../../src/auth/jwt.js';
import { signSubmission } from '../../src/boards/board-signature.js';
import { signAction } from '../../src/scores/signature.js';
import { actionsFile, FAST_ACTIONS, TEST_HMAC_KEY, TEST_JWT_SECRET } from '../helpers/app.js';
import { startServerProcess, type ServerProcess } from '../helpers/processes.js';
import { createTestDatabase, createTestRedis, SKIP_POSTGRES, SKIP_REDIS, TEST_REDIS_URL } from '../helpers/services.js';
import { connected, openSocket, sleep, type RecordingSocket } from '../helpers/sockets.js';

const token = createTokenSigner(TEST_JWT_SECRET, '1h');
const ALL = { id: 'all', startsAt: null, endsAt: null };

async function submit(server: ServerProcess, userId: string, boardId: string, score: number) {
  const unsigned = { actionId: randomUUID(), score, timestamp: new Date().toISOString() };
  const response = await fetch(`${server.url}/api/v1/boards/${boardId}/scores`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token({ userId, username: userId })}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...unsigned, clientSignature: signSubmission(TEST_HMAC_KEY, { ...unsigned, boardId }) }),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as any).data;
}

async function post(server: ServerProcess, userId: string, scoreIncrement: number) {
  const unsigned = { actionId: randomUUID(), actionType: 'TASK_COMPLETE', scoreIncrement, timestamp: new Date().toISOString() };
  const response = await fetch(`${server.url}/api/v1/scores/update`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token({ userId, username: userId })}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...unsigned, clientSignature: signAction(TEST_HMAC_KEY, unsigned) }),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as any).data;
}

const subscribe = (recording: RecordingSocket, boardId: string) => recording.socket.timeout(3000).emitWithAck('board:subscribe', { boardId });

describe('boards live across two instances on one PostgreSQL and one Redis', { skip: SKIP_POSTGRES || SKIP_REDIS }, () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let env: Record<string, string>;
  const sockets: RecordingSocket[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const open = async (server: ServerProcess, auth: Record<string, unknown> = {}) => {
    const recording = openSocket(server.url, auth);
    sockets.push(recording);
    await connected(recording);
    return recording;
  };

  before(async () => {
    const database = await createTestDatabase();
    const redis = await createTestRedis();
    cleanups.push(database.cleanup, redis.cleanup);
    const dir = mkdtempSync(join(tmpdir(), 'sb-boards-'));
    const boardsFile = join(dir, 'boards.json');
    writeFileSync(
      boardsFile,
      JSON.stringify([
        { id: 'arena', operator: 'best' },
        { id: 'quiet', operator: 'best' },
        { id: 'weekly', reset: 'weekly', actions: ['TASK_COMPLETE'] },
      ]),
    );
    env = {
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: redis.keyPrefix,
      JWT_SECRET: TEST_JWT_SECRET,
      HMAC_SECRET_KEY: TEST_HMAC_KEY,
      ACTIONS_CONFIG: actionsFile(FAST_ACTIONS),
      BOARDS_CONFIG: boardsFile,
      RANK_WATCH_INTERVAL_MS: '200',
    };
    // One after the other: both applying BOARDS_CONFIG at once would race to create the boards.
    a = await startServerProcess(env);
    b = await startServerProcess(env);
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    for (const cleanup of cleanups.reverse()) await cleanup();
    assert.deepEqual(codes, [0, 0], 'both instances shut down cleanly');
  });

  it('a socket subscribed on instance B gets board:update for a submission to instance A', async () => {
    const spectator = await open(b);
    assert.deepEqual(await subscribe(spectator, 'arena'), { ok: true, boardId: 'arena', period: ALL });
    const snapshot = await spectator.next('board:update');
    assert.deepEqual(snapshot.leaderboard, []);
    // Instance A never saw a write for the board before this one, nor a subscriber.
    await submit(a, 'ann', 'arena', 40);
    const update = await spectator.next('board:update', (p) => p.leaderboard.length === 1);
    assert.deepEqual(update.leaderboard.map((e: { userId: string; score: number; rank: number }) => [e.rank, e.userId, e.score]), [[1, 'ann', 40]]);
    assert.equal(update.seq, snapshot.seq + 1);
    await submit(a, 'ben', 'arena', 50);
    const next = await spectator.next('board:update', (p) => p.leaderboard.length === 2);
    assert.deepEqual(next.leaderboard.map((e: { userId: string }) => e.userId), ['ben', 'ann']);
  });

  it('an action update on instance A reaches board subscribers on both instances, each with its own seq', async () => {
    const onA = await open(a);
    const onB = await open(b);
    await subscribe(onA, 'weekly');
    await subscribe(onB, 'weekly');
    await Promise.all([onA.next('board:update'), onB.next('board:update')]);
    await post(a, 'cal', 25);
    for (const recording of [onA, onB]) {
      const update = await recording.next('board:update', (p) => p.leaderboard.some((e: { userId: string }) => e.userId === 'cal'));
      assert.equal(update.boardId, 'weekly');
      assert.equal(update.leaderboard[0].score, 25);
    }
    // And the other way round.
    await post(b, 'dan', 30);
    for (const recording of [onA, onB]) await recording.next('board:update', (p) => p.leaderboard[0]?.userId === 'dan');
  });

  it('rank:changed for a board reaches the player on instance B, for their write on A and when overtaken there', async () => {
    const eve = await open(b, { token: token({ userId: 'eve', username: 'eve' }) });
    assert.equal((await subscribe(eve, 'quiet')).ok, true);
    await eve.next('board:update');
    await submit(a, 'eve', 'quiet', 120);
    const own = await eve.next('rank:changed', (p) => p.boardId === 'quiet');
    assert.deepEqual(own, { userId: 'eve', newRank: 1, oldRank: null, newScore: 120, boardId: 'quiet', period: ALL });
  });

  it('a player overtaken on a subscribed board by a write on A is told on B', async () => {
    const eve = sockets.at(-1)!;
    await sleep(600);
    await submit(a, 'fox', 'quiet', 500);
    const moved = await eve.next('rank:changed', (p) => p.boardId === 'quiet' && p.newRank === 2, 5000);
    assert.deepEqual(moved, { userId: 'eve', newRank: 2, oldRank: 1, newScore: 120, boardId: 'quiet', period: ALL });
  });

  it('an instance started after a board got its subscribers learns of them at once, and its writes reach them', async () => {
    const spectator = await open(b);
    await subscribe(spectator, 'arena');
    const snapshot = await spectator.next('board:update');
    const c = await startServerProcess(env);
    try {
      await submit(c, 'gus', 'arena', 999);
      const update = await spectator.next('board:update', (p) => p.leaderboard[0]?.userId === 'gus');
      assert.equal(update.seq, snapshot.seq + 1);
    } finally {
      assert.equal(await c.stop(), 0);
    }
  });
});
