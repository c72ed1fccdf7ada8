import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/app.js';
import { createBackends } from '../../src/backends.js';
import { loadConfig } from '../../src/config.js';
import type { RankEntry } from '../../src/boards/rank-entry.js';
import type { RankIndex } from '../../src/boards/rank-index.js';
import { RebuildGuardedRankIndex } from '../../src/boards/rank-index-guarded.js';
import { MemoryRankIndex } from '../../src/boards/rank-index-memory.js';
import { TEST_HMAC_KEY, TEST_JWT_SECRET } from '../helpers/app.js';
import { sleep } from '../helpers/sockets.js';

/**
 * A memory index whose rebuild waits for `gate` (as a board of millions of players would take its
 * time): the test opens it once start is done, so nothing here depends on how fast the machine is.
 */
function slowToRebuild(inner: RankIndex, gate: Promise<void>): RankIndex {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property !== 'replaceAll') return Reflect.get(target, property, receiver);
      return async (boardId: string, batches: AsyncIterable<RankEntry[]>) => {
        await gate;
        return target.replaceAll(boardId, batches);
      };
    },
  });
}

describe('starting on a board whose rebuild takes longer than start may wait', () => {
  it('starts anyway, answers from SQL meanwhile, and from the index once it is built', async () => {
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: 'memory://', JWT_SECRET: TEST_JWT_SECRET, HMAC_SECRET_KEY: TEST_HMAC_KEY, CACHE_REFRESH_INTERVAL_MS: '0' });
    const backends = await createBackends(config);
    await backends.sql.query(`INSERT INTO users (id, username) SELECT 'p' || g, 'Player ' || g FROM generate_series(1, 50) g`);
    await backends.sql.query(`INSERT INTO scores (user_id, score, last_updated, total_actions) SELECT 'p' || g, g * 10, now(), 1 FROM generate_series(1, 50) g`);
    await backends.sql.query(`INSERT INTO board_entries (board_id, period_id, user_id, score, order_score, last_updated, version)
       SELECT 'global', 'all', user_id, score, -score, last_updated, total_actions FROM scores`);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    backends.rankIndex = new RebuildGuardedRankIndex(slowToRebuild(new MemoryRankIndex(), gate));
    const app = await buildApp(config, backends);
    try {
      // Resolves although the rebuild cannot finish before the gate opens: start did not wait for it.
      await app.ready();
      const during = (await app.inject({ url: '/api/v1/scores/leaderboard?limit=3' })).json().data;
      assert.equal(during.cacheHit, false);
      assert.deepEqual(during.leaderboard.map((e: { userId: string }) => e.userId), ['p50', 'p49', 'p48']);
      const user = (await app.inject({ url: '/api/v1/scores/user/p10', headers: { authorization: `Bearer ${(await import('../../src/auth/jwt.js')).createTokenSigner(TEST_JWT_SECRET, '1h')({ userId: 'p10' })}` } })).json().data;
      assert.equal(user.rank, 41);
      open();
      const deadline = Date.now() + 10_000;
      let after = during;
      while (!after.cacheHit && Date.now() < deadline) {
        await sleep(200);
        after = (await app.inject({ url: '/api/v1/scores/leaderboard?limit=3' })).json().data;
      }
      assert.equal(after.cacheHit, true);
      assert.deepEqual(after.leaderboard, during.leaderboard);
    } finally {
      open();
      await app.close();
      await backends.close();
    }
  });
});
