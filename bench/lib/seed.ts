import { withDatabase } from './infra.js';

/**
 * Inserts `count` players `<prefix><7 digits>` with random scores (0..999,999) and times (the last
 * 30 days, whole milliseconds as the service stores them) in two INSERT ... SELECT FROM
 * generate_series statements. Existing ids are left alone. For speed, in one transaction: foreign
 * key triggers off (the ids match by construction), the secondary indexes of `scores` dropped
 * and recreated from their own definitions afterwards. Returns the milliseconds it took.
 */
export async function seedPlayers(dbName: string, prefix: string, count: number): Promise<number> {
  if (!/^[a-z]{1,8}$/.test(prefix)) throw new Error(`bad player prefix ${prefix}`);
  const started = performance.now();
  await withDatabase(dbName, async (client) => {
    await client.query("SET session_replication_role = replica; SET maintenance_work_mem = '256MB'; SET synchronous_commit = off");
    await client.query('BEGIN');
    try {
      const { rows: indexes } = await client.query(
        `SELECT indexname, indexdef FROM pg_indexes i
         WHERE schemaname = current_schema() AND tablename = 'scores'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
      );
      for (const index of indexes) await client.query(`DROP INDEX "${String(index.indexname).replace(/"/g, '""')}"`);
      await client.query(
        `INSERT INTO users (id, username)
         SELECT '${prefix}' || lpad(g::text, 7, '0'), '${prefix}' || lpad(g::text, 7, '0') FROM generate_series(1, $1::int) g
         ON CONFLICT (id) DO NOTHING`,
        [count],
      );
      await client.query(
        `INSERT INTO scores (user_id, score, last_updated, total_actions, first_action, last_action)
         SELECT id, score, ts, actions, ts - interval '1 day', ts FROM (
           SELECT '${prefix}' || lpad(g::text, 7, '0') AS id,
                  floor(random() * 1000000)::bigint AS score,
                  date_trunc('milliseconds', now() - random() * interval '30 days') AS ts,
                  1 + g % 20 AS actions
           FROM generate_series(1, $1::int) g) s
         ON CONFLICT (user_id) DO NOTHING`,
        [count],
      );
      // The global board's entries mirror the scores rows.
      await client.query(
        `INSERT INTO board_entries (board_id, period_id, user_id, score, order_score, last_updated, version)
       SELECT 'global', 'all', user_id, score, -score, last_updated, total_actions FROM scores WHERE user_id LIKE '${prefix}%'
         ON CONFLICT (board_id, period_id, user_id) DO NOTHING`,
      );
      for (const index of indexes) await client.query(String(index.indexdef));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    await client.query('ANALYZE users');
    await client.query('ANALYZE scores');
  });
  return performance.now() - started;
}

/**
 * Empties every table of players (a fresh board for the 1M-player scenario): the users and, by
 * CASCADE, everything that refers to them (scores, history, flags, every board's entries). The
 * board definitions stay.
 */
export async function truncateAll(dbName: string): Promise<void> {
  await withDatabase(dbName, (client) => client.query('TRUNCATE users CASCADE'));
}
