import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { RedisKeyValueCache } from '../../src/cache/key-value-cache-redis.js';
import { keyValueCacheContract } from '../contracts/key-value-cache-contract.js';
import { createTestRedis, SKIP_REDIS } from '../helpers/services.js';

keyValueCacheContract(
  'redis',
  async () => {
    const { redis, keyPrefix, cleanup } = await createTestRedis();
    return { cache: new RedisKeyValueCache({ redis, keyPrefix }), cleanup };
  },
  { skip: SKIP_REDIS },
);

describe('RedisKeyValueCache', { skip: SKIP_REDIS }, () => {
  let redis: Redis;
  let keyPrefix: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    ({ redis, keyPrefix, cleanup } = await createTestRedis());
  });
  after(() => cleanup());

  it('stores each key under the prefix with an EX expiry', async () => {
    const cache = new RedisKeyValueCache({ redis, keyPrefix: `${keyPrefix}action:` });
    await cache.set('a1', 'applied', 3600);
    assert.equal(await redis.get(`${keyPrefix}action:a1`), 'applied');
    const ttlSec = await redis.ttl(`${keyPrefix}action:a1`);
    assert.ok(ttlSec > 3590 && ttlSec <= 3600, `ttl ${ttlSec}`);
    await cache.delete('a1');
    assert.equal(await redis.exists(`${keyPrefix}action:a1`), 0);
  });

  it('answers getMany([]) without a round trip', async () => {
    const cache = new RedisKeyValueCache({ redis, keyPrefix });
    const sendCommand = redis.sendCommand;
    let commands = 0;
    redis.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
      commands++;
      return sendCommand.apply(this, args);
    };
    try {
      assert.deepEqual(await cache.getMany([]), []);
      assert.equal(commands, 0);
      await cache.getMany(['x']);
      assert.equal(commands, 1); // the spy does see commands
    } finally {
      redis.sendCommand = sendCommand;
    }
  });
});
