import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createTokenSigner } from '../../src/auth/jwt.js';
import { actionsFile, FAST_ACTIONS, signedBody, TEST_HMAC_KEY, TEST_JWT_SECRET } from '../helpers/app.js';
import { OwnRedis, SKIP_OUTAGES, waitFor } from '../helpers/outage-services.js';
import { startServerProcess, type ServerProcess } from '../helpers/processes.js';
import { createTestDatabase, SKIP_POSTGRES } from '../helpers/services.js';

const token = createTokenSigner(TEST_JWT_SECRET, '1h');

async function post(server: ServerProcess, userId: string, scoreIncrement: number): Promise<Response> {
  return fetch(`${server.url}/api/v1/scores/update`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token({ userId, username: userId })}`, 'content-type': 'application/json' },
    body: JSON.stringify(signedBody({ scoreIncrement })),
  });
}

async function health(server: ServerProcess): Promise<{ status: number; body: { status: string; services: { redis: string } } }> {
  const response = await fetch(`${server.url}/health`);
  return { status: response.status, body: (await response.json()) as { status: string; services: { redis: string } } };
}

/** SIGTERM; resolves with the exit code and how long the process took to exit. */
async function stopTimed(server: ServerProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const code = await server.stop();
  return { code, ms: Date.now() - started };
}

describe('Redis unreachable when the server starts (own redis-server, started after the server)', { skip: SKIP_OUTAGES || SKIP_POSTGRES }, () => {
  let database: { url: string; cleanup: () => Promise<void> };
  let redis: OwnRedis;
  const keyPrefix = `sb${randomUUID().slice(0, 8)}:`;
  const servers: ServerProcess[] = [];
  const env = () => ({
    NODE_ENV: 'production',
    JWT_SECRET: TEST_JWT_SECRET,
    HMAC_SECRET_KEY: TEST_HMAC_KEY,
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: keyPrefix,
    ACTIONS_CONFIG: actionsFile(FAST_ACTIONS),
    RATE_LIMIT_MAX_REQUESTS: '100000',
  });

  before(async () => {
    database = await createTestDatabase();
    redis = await OwnRedis.unstarted();
  });
  after(async () => {
    for (const server of servers) await server.stop().catch(() => undefined);
    await redis.destroy();
    await database.cleanup();
  });

  it('listens and serves degraded, then connects when Redis appears, rebuilds the rank index and turns healthy', async () => {
    const server = await startServerProcess(env(), 30_000);
    servers.push(server);
    const degraded = await health(server);
    assert.equal(degraded.status, 200);
    assert.deepEqual([degraded.body.status, degraded.body.services.redis], ['degraded', 'disconnected']);
    assert.equal((await fetch(`${server.url}/health/live`)).status, 200);

    const first = await post(server, 'early-bird', 30);
    assert.equal(first.status, 200, await first.clone().text());
    const board = (await (await fetch(`${server.url}/api/v1/scores/leaderboard`)).json()) as { data: { leaderboard: { userId: string }[]; cacheHit: boolean } };
    assert.deepEqual(board.data.leaderboard.map((entry) => entry.userId), ['early-bird']);
    assert.equal(board.data.cacheHit, false, 'served from PostgreSQL while Redis is away');

    await redis.start();
    await waitFor(async () => (await health(server)).body.status === 'healthy', 30_000, 'health turns healthy');
    const client = new Redis(redis.url);
    try {
      // The rank index was rebuilt from PostgreSQL: the update applied while Redis was away is in it.
      await waitFor(async () => (await client.hget(`${keyPrefix}lb:{global}:h`, 'early-bird')) !== null, 10_000, 'rank index rebuilt');
      assert.equal((await post(server, 'second', 10)).status, 200);
      await waitFor(
        async () => {
          const read = (await (await fetch(`${server.url}/api/v1/scores/leaderboard`)).json()) as typeof board;
          return read.data.cacheHit && read.data.leaderboard.map((entry) => entry.userId).join() === 'early-bird,second';
        },
        10_000,
        'leaderboard from the rank index',
      );
    } finally {
      client.disconnect();
    }

    // Redis goes away again; SIGTERM still drains and exits 0 well within the shutdown timeout.
    await redis.stop('SIGKILL');
    await waitFor(async () => (await health(server)).body.status === 'degraded', 10_000, 'health turns degraded');
    const stopped = await stopTimed(server);
    assert.equal(stopped.code, 0, server.output().slice(-2000));
    assert.ok(stopped.ms < 8000, `exit took ${stopped.ms} ms`);
    assert.doesNotMatch(server.output(), /shutdown took too long/);
  });

  it('exits 0 on SIGTERM when Redis was never reachable', async () => {
    await redis.stop('SIGKILL');
    const server = await startServerProcess(env(), 30_000);
    servers.push(server);
    assert.equal((await post(server, 'lonely', 5)).status, 200);
    const stopped = await stopTimed(server);
    assert.equal(stopped.code, 0, server.output().slice(-2000));
    assert.ok(stopped.ms < 8000, `exit took ${stopped.ms} ms`);
  });
});
