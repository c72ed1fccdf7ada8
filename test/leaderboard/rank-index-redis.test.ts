import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { RedisRankIndex } from '../../src/boards/rank-index-redis.js';
import { GLOBAL_BOARD } from '../../src/boards/rank-index.js';
import { SKIP_REDIS, createTestRedis } from '../helpers/services.js';
import { rankIndexContract } from '../contracts/rank-index-contract.js';

rankIndexContract(
  'redis',
  async () => {
    const { redis, keyPrefix, cleanup } = await createTestRedis();
    return { index: new RedisRankIndex({ redis, keyPrefix }), cleanup };
  },
  { skip: SKIP_REDIS },
);

/** The hash tag Redis Cluster hashes: the text between the first `{` and the next `}`, if not empty. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open === -1 || close <= open + 1 ? key : key.slice(open + 1, close);
}

async function keysUnder(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys.sort();
}

describe('RedisRankIndex keys', { skip: SKIP_REDIS }, () => {
  let redis: Redis;
  let keyPrefix: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    ({ redis, keyPrefix, cleanup } = await createTestRedis());
  });
  after(async () => {
    await cleanup();
  });

  it('lives under the prefix, in one slot per board tagged {boardId}, and leaves no rebuild keys behind', async () => {
    const index = new RedisRankIndex({ redis, keyPrefix });
    const entry = { userId: 'u1', username: null, score: 5, lastUpdatedMs: 1_700_000_000_000, version: 1 };
    await index.upsert(GLOBAL_BOARD, entry);
    const expected = [`${keyPrefix}lb:{global}:h`, `${keyPrefix}lb:{global}:z`];
    assert.deepEqual(await keysUnder(redis, `${keyPrefix}*`), expected);

    async function* batches() {
      yield [entry, { ...entry, userId: 'u2' }];
    }
    await index.replaceAll(GLOBAL_BOARD, batches());
    assert.deepEqual(await keysUnder(redis, `${keyPrefix}*`), expected);
    for (const key of expected) {
      assert.equal(hashTag(key), GLOBAL_BOARD);
      // RENAME carries the temporary keys' expiry over: the live keys must not keep it.
      assert.equal(await redis.pttl(key), -1);
    }
    assert.equal(await redis.zcard(`${keyPrefix}lb:{global}:z`), 2);
  });

  it('refuses board ids that would break the hash tag', async () => {
    const index = new RedisRankIndex({ redis, keyPrefix });
    await assert.rejects(index.count(''), RangeError);
    await assert.rejects(index.count('a}b'), RangeError);
  });

  it('refuses to answer from a set that lost a member its hash still names, on every read', async () => {
    const index = new RedisRankIndex({ redis, keyPrefix });
    const board = 'corrupt';
    await index.upsertMany(board, [
      { userId: 'u1', username: null, score: 5, lastUpdatedMs: 1_700_000_000_000, version: 1 },
      { userId: 'u2', username: null, score: 4, lastUpdatedMs: 1_700_000_000_000, version: 1 },
    ]);
    const [lost] = await redis.zrange(`${keyPrefix}lb:{${board}}:z`, 1, 1);
    await redis.zrem(`${keyPrefix}lb:{${board}}:z`, lost!);
    const corrupt = /SCOREBOARD_RANK_INDEX_CORRUPT u2/;
    await assert.rejects(index.rankOf(board, 'u2'), corrupt);
    await assert.rejects(index.ranksOf(board, ['u1', 'u2']), corrupt);
    await assert.rejects(index.view(board, null, ['u2']), corrupt);
    await assert.rejects(index.view(board, { from: 'around', userId: 'u2', limit: 3 }, []), corrupt);
    assert.deepEqual((await index.view(board, { from: 'offset', offset: 0, limit: 1 }, ['u1'])).players.map((e) => e?.rank), [1]);
  });
});
