import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/** The PostgreSQL server for tests, or undefined on a machine without one (those suites are skipped). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
/** The Redis server for tests, or undefined on a machine without one (those suites are skipped). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || undefined;

export const SKIP_POSTGRES = TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set: PostgreSQL suite skipped';
export const SKIP_REDIS = TEST_REDIS_URL ? false : 'TEST_REDIS_URL is not set: Redis suite skipped';

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** A Redis client on its own key prefix; `cleanup` deletes every key under the prefix and disconnects. */
export async function createTestRedis(): Promise<{ redis: Redis; keyPrefix: string; cleanup: () => Promise<void> }> {
  if (!TEST_REDIS_URL) throw new Error('TEST_REDIS_URL is not set');
  const keyPrefix = `${uniqueName('sbtest')}:`;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  return {
    redis,
    keyPrefix,
    async cleanup() {
      await deleteKeys(redis, `${keyPrefix}*`);
      redis.disconnect();
    },
  };
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** A fresh PostgreSQL database for one test file; `cleanup` drops it. */
export async function createTestDatabase(): Promise<{ url: string; cleanup: () => Promise<void> }> {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = uniqueName('sbtest');
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async cleanup() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
