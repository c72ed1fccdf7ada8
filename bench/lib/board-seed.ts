import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisRankIndex } from '../../src/boards/rank-index-redis.js';
import { rankKey } from '../../src/boards/ordered-rank-index.js';
import { REDIS_URL, withDatabase } from './infra.js';
import type { BenchContext } from './context.js';
import type { ServerProcess } from './server.js';

/** The players of the 1,000,000-entry boards. */
export const BOARD_PLAYERS = 1_000_000;
export const BOARD_PREFIX = 'b';

export interface BoardLoad {
  boardId: string;
  periodId: string;
  /** Players `<prefix><7 digits>`, 1 to count (their user rows are made when missing). */
  prefix: string;
  count: number;
  sortOrder: 'desc' | 'asc';
}

/**
 * Inserts `count` entries of one board period with random scores (0..999,999) and times (the last
 * 30 days, whole milliseconds), and their players' user rows, in INSERT ... SELECT FROM
 * generate_series statements, with the secondary indexes of board_entries dropped and recreated
 * from their own definitions. Foreign key triggers are off: the entries may go in before their
 * board exists, so that the board, once created through the admin API, is rebuilt by the server
 * from SQL like any new board. Returns the milliseconds it took.
 */
export async function seedBoardEntries(dbName: string, load: BoardLoad): Promise<number> {
  if (!/^[a-z]{1,8}$/.test(load.prefix)) throw new Error(`bad player prefix ${load.prefix}`);
  const started = performance.now();
  const id = `'${load.prefix}' || lpad(g::text, 7, '0')`;
  await withDatabase(dbName, async (client) => {
    await client.query("SET session_replication_role = replica; SET maintenance_work_mem = '256MB'; SET synchronous_commit = off");
    await client.query('BEGIN');
    try {
      const { rows: indexes } = await client.query(
        `SELECT indexname, indexdef FROM pg_indexes i
         WHERE schemaname = current_schema() AND tablename = 'board_entries'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
      );
      for (const index of indexes) await client.query(`DROP INDEX "${String(index.indexname).replace(/"/g, '""')}"`);
      await client.query(`INSERT INTO users (id, username) SELECT ${id}, ${id} FROM generate_series(1, $1::int) g ON CONFLICT (id) DO NOTHING`, [load.count]);
      await client.query(
        `INSERT INTO board_entries (board_id, period_id, user_id, score, order_score, last_updated, version)
         SELECT $2, $3, id, score, CASE WHEN $4 THEN -score ELSE score END, ts, 1 FROM (
           SELECT ${id} AS id, floor(random() * 1000000)::bigint AS score,
                  date_trunc('milliseconds', now() - random() * interval '30 days') AS ts
           FROM generate_series(1, $1::int) g) s`,
        [load.count, load.boardId, load.periodId, load.sortOrder === 'desc'],
      );
      for (const index of indexes) await client.query(String(index.indexdef));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    await client.query('ANALYZE users');
    await client.query('ANALYZE board_entries');
  });
  return performance.now() - started;
}

/** POST /api/v1/admin/boards; throws unless 201. */
export async function createBoard(server: ServerProcess, adminToken: string, definition: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${server.url}/api/v1/admin/boards`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify(definition),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`creating board ${String(definition.id)}: ${response.status} ${text.slice(0, 500)}`);
}

/** How many players the Redis rank index holds for a board period (what the server ranks from). */
export async function indexedCount(redisPrefix: string, boardId: string, periodId: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    return await new RedisRankIndex({ redis, keyPrefix: redisPrefix }).count(rankKey(boardId, periodId));
  } finally {
    redis.disconnect();
  }
}

/**
 * Waits until the server's rebuild of a board period has swapped in all `count` players (the live
 * keys stay empty until then); returns the milliseconds waited.
 */
export async function waitIndexed(redisPrefix: string, boardId: string, periodId: string, count: number, timeoutMs = 600_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const indexed = await indexedCount(redisPrefix, boardId, periodId);
    if (indexed === count) break;
    if (indexed > count) throw new Error(`${boardId}: the rank index holds ${indexed} players, expected ${count}`);
    if (performance.now() - started > timeoutMs) throw new Error(`${boardId}: rank index holds ${indexed} of ${count} players after ${timeoutMs} ms`);
    await sleep(250);
  }
  const waited = performance.now() - started;
  // The server trusts the index once its rebuild call returns, just after the swap.
  await sleep(500);
  return waited;
}

export interface LoadedBoard {
  loadMs: number;
  /** From the board's creation to its rank index holding every entry. */
  rebuildMs: number;
}

/** Loads the 1M entries of a board period into SQL, creates the board through the admin API and waits for the server's rebuild. */
export async function loadBoard(
  ctx: BenchContext,
  server: ServerProcess,
  adminToken: string,
  definition: Record<string, unknown> & { id: string; sortOrder: 'desc' | 'asc' },
  periodId: string,
): Promise<LoadedBoard> {
  ctx.log(`loading ${BOARD_PLAYERS.toLocaleString('en-US')} entries of board ${definition.id} (period ${periodId}) into PostgreSQL`);
  const loadMs = await seedBoardEntries(ctx.dbName, { boardId: definition.id, periodId, prefix: BOARD_PREFIX, count: BOARD_PLAYERS, sortOrder: definition.sortOrder });
  await createBoard(server, adminToken, definition);
  const rebuildMs = await waitIndexed(ctx.redisPrefix, definition.id, periodId, BOARD_PLAYERS);
  ctx.log(`loaded in ${(loadMs / 1000).toFixed(1)} s; the server rebuilt its rank index from SQL in ${(rebuildMs / 1000).toFixed(1)} s after the board was created`);
  return { loadMs, rebuildMs };
}
