import { Redis } from 'ioredis';
import { RedisPubSub } from '../../src/cache/pub-sub-redis.js';
import { pubSubContract } from '../contracts/pub-sub-contract.js';
import { createTestRedis, SKIP_REDIS, TEST_REDIS_URL } from '../helpers/services.js';

pubSubContract(
  'Redis (two instances, two connections)',
  async () => {
    const { redis, keyPrefix, cleanup } = await createTestRedis();
    const other = new Redis(TEST_REDIS_URL!);
    return {
      a: new RedisPubSub({ redis, keyPrefix }),
      b: new RedisPubSub({ redis: other, keyPrefix }),
      cleanup: async () => {
        other.disconnect();
        await cleanup();
      },
    };
  },
  { skip: SKIP_REDIS },
);
