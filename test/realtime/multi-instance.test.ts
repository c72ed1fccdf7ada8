import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTokenSigner } from '../../src/auth/jwt.js';
import { signAction } from '../../src/scores/signature.js';
import { actionsFile, FAST_ACTIONS, TEST_HMAC_KEY, TEST_JWT_SECRET } from '../helpers/app.js';
import { startServerProcess, type ServerProcess } from '../helpers/processes.js';
import { createTestDatabase, createTestRedis, SKIP_POSTGRES, SKIP_REDIS, TEST_REDIS_URL } from '../helpers/services.js';
import { connected, openSocket, type RecordingSocket } from '../helpers/sockets.js';

const token = createTokenSigner(TEST_JWT_SECRET, '1h');

async function post(server: ServerProcess, userId: string, scoreIncrement: number) {
  const unsigned = { actionId: randomUUID(), actionType: 'TASK_COMPLETE', scoreIncrement, timestamp: new Date().toISOString() };
  const response = await fetch(`${server.url}/api/v1/scores/update`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token({ userId, username: userId })}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...unsigned, clientSignature: signAction(TEST_HMAC_KEY, unsigned) }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('two instances on one PostgreSQL and one Redis', { skip: SKIP_POSTGRES || SKIP_REDIS }, () => {
  let a: ServerProcess;
  let b: ServerProcess;
  const sockets: RecordingSocket[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    const database = await createTestDatabase();
    const redis = await createTestRedis();
    cleanups.push(database.cleanup, redis.cleanup);
    const env = {
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: redis.keyPrefix,
      JWT_SECRET: TEST_JWT_SECRET,
      HMAC_SECRET_KEY: TEST_HMAC_KEY,
      ACTIONS_CONFIG: actionsFile(FAST_ACTIONS),
      RATE_LIMIT_MAX_REQUESTS: '4',
      RATE_LIMIT_WINDOW_MS: '60000',
    };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    for (const cleanup of cleanups.reverse()) await cleanup();
    assert.deepEqual(codes, [0, 0], 'both instances shut down cleanly');
  });

  it('a socket on instance B receives the update posted to instance A', async () => {
    const player = openSocket(b.url, { token: token({ userId: 'cross', username: 'Cross' }) });
    const spectator = openSocket(b.url);
    sockets.push(player, spectator);
    await Promise.all([connected(player), connected(spectator)]);
    await spectator.next('leaderboard:update');

    const response = await post(a, 'cross', 42);
    assert.equal(response.status, 200);
    assert.deepEqual(await player.next('score:updated'), { userId: 'cross', newScore: 42, increment: 42 });
    const update = await spectator.next('leaderboard:update', (p) => p.leaderboard.some((e: { userId: string }) => e.userId === 'cross'));
    assert.equal(update.leaderboard[0].score, 42);
    // And B's REST view agrees.
    const board = (await (await fetch(`${b.url}/api/v1/scores/leaderboard`)).json()) as any;
    assert.equal(board.data.leaderboard[0].userId, 'cross');
  });

  it('a player signed in on instance B is told on B when an update on instance A overtakes them, once', async () => {
    assert.equal((await post(a, 'ann', 30)).status, 200);
    const ann = openSocket(b.url, { token: token({ userId: 'ann', username: 'ann' }) });
    sockets.push(ann);
    await connected(ann);
    // B's watcher learns ann's rank first (it ticks every second).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const before = ann.events.filter((event) => event.name === 'rank:changed').length;
    assert.equal((await post(a, 'ben', 45)).status, 200);
    assert.equal((await post(a, 'ben', 45)).status, 200);
    const moved = await ann.next('rank:changed', (p) => p.userId === 'ann' && p.oldRank !== null && p.newRank > p.oldRank, 5000);
    assert.equal(moved.newScore, 30);
    assert.equal(moved.newRank, moved.oldRank + 1);
    assert.equal(moved.boardId, 'global');
    // Her own update through A tells her through the adapter; B's watcher adds nothing.
    assert.equal((await post(a, 'ann', 50)).status, 200);
    const own = await ann.next('rank:changed', (p) => p.newScore === 80);
    assert.deepEqual([own.oldRank, own.newRank], [moved.newRank, moved.newRank - 1], 'past cross (42), still behind ben (90)');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(ann.events.filter((event) => event.name === 'rank:changed').length, before + 2);
  });

  it("a user's rate limit holds across both instances together", async () => {
    const statuses = [];
    for (const server of [a, b, a, b, a, b]) statuses.push((await post(server, 'limited', 1)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
  });
});
