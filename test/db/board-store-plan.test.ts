import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoardStore } from '../../src/db/board-store.js';
import { migrate } from '../../src/db/migrations.js';
import { PgSqlClient } from '../../src/db/sql-client-pg.js';
import { createTestDatabase, SKIP_POSTGRES } from '../helpers/services.js';

const ENTRIES = 20_000;
const REF = { boardId: 'deep', periodId: 'all' };

/**
 * Keyset pages (cursor pages, around-me) run on every read of a board: PostgreSQL must keep a
 * generic plan for them instead of planning each execution, which cost more than running them.
 */
describe('board store query plans: PostgreSQL', { skip: SKIP_POSTGRES }, () => {
  let sql: PgSqlClient;
  let cleanup: () => Promise<void>;
  before(async () => {
    const database = await createTestDatabase();
    cleanup = database.cleanup;
    // One connection, so that every execution reuses that session's prepared statements.
    sql = new PgSqlClient({ url: database.url, poolSize: 1 });
    await migrate(sql);
    await sql.exec(`
      INSERT INTO boards (id, title) VALUES ('deep', 'Deep');
      INSERT INTO users (id, username) SELECT 'd' || g, 'D' || g FROM generate_series(1, ${ENTRIES}) g;
      INSERT INTO board_entries (board_id, period_id, user_id, score, order_score, last_updated, version)
        SELECT 'deep', 'all', 'd' || g, g % 5000, -(g % 5000), now() - g * interval '1 second', 1 FROM generate_series(1, ${ENTRIES}) g;
      ANALYZE users; ANALYZE board_entries;`);
  });
  after(async () => {
    await sql.close();
    await cleanup();
  });

  it('pages after and before a cursor keep one generic plan', async () => {
    const store = new BoardStore(sql);
    const [middle] = await store.pageAt(REF, ENTRIES / 2, 1);
    const position = { orderScore: -middle!.score, lastUpdatedMs: middle!.lastUpdatedMs, userId: middle!.userId };
    for (let i = 0; i < 8; i++) {
      const [afterPage, beforePage] = await Promise.all([store.page(REF, 'desc', position, 11), store.pageBefore(REF, 'desc', position, 10)]);
      assert.equal(afterPage.length, 11);
      assert.equal(beforePage.length, 10);
    }
    const plans = await sql.query<{ name: string; generic_plans: number }>(
      `SELECT name, generic_plans::int FROM pg_prepared_statements WHERE name IN ('board_page_after_11', 'board_page_before_10') ORDER BY name`,
    );
    assert.deepEqual(plans.map((row) => row.name), ['board_page_after_11', 'board_page_before_10']);
    for (const row of plans) assert.ok(row.generic_plans > 0, `${row.name} was planned anew on every execution`);
  });
});
