import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { migrate } from '../../src/db/migrations.js';
import { ScoreStore, type ScoreUpdate } from '../../src/db/score-store.js';
import { PgliteSqlClient } from '../../src/db/sql-client-pglite.js';
import { PgSqlClient } from '../../src/db/sql-client-pg.js';
import type { SqlClient } from '../../src/db/sql-client.js';
import { createTestDatabase, SKIP_POSTGRES } from '../helpers/services.js';

const PLAYERS = 5_000;
const TABLES = new Set(['users', 'scores', 'score_history', 'board_entries']);

/** A client that remembers the text and parameters of every named (prepared) statement it ran. */
function recording(sql: SqlClient): { sql: SqlClient; statements: Map<string, { text: string; params: readonly unknown[] }> } {
  const statements = new Map<string, { text: string; params: readonly unknown[] }>();
  const wrapped: SqlClient = {
    kind: sql.kind,
    query: (text, params, options) => {
      if (options?.name) statements.set(options.name, { text, params: params ?? [] });
      return sql.query(text, params, options);
    },
    exec: (script) => sql.exec(script),
    transaction: (fn) => sql.transaction(fn),
    close: () => sql.close(),
  };
  return { sql: wrapped, statements };
}

/** Every table a plan reads whole (a sequential scan), from EXPLAIN's JSON. */
function fullScans(node: Record<string, unknown>, found: string[] = []): string[] {
  if (node['Node Type'] === 'Seq Scan' && typeof node['Relation Name'] === 'string') found.push(node['Relation Name']);
  for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? []) fullScans(child, found);
  return found;
}

/**
 * The batch statement must stay one index lookup per update however large the tables grow: as plain
 * joins, the planner (which cannot know how many updates a batch holds) read the whole users or
 * score_history table for every batch while it had fewer than ~100,000 rows.
 */
function planContract(name: string, open: () => Promise<{ sql: SqlClient; cleanup: () => Promise<void> }>, skip: string | false = false): void {
  describe(`score store query plans: ${name}`, { skip }, () => {
    let sql: SqlClient;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ sql, cleanup } = await open());
      await migrate(sql);
      // A board of PLAYERS players with a score and one history row each.
      await sql.exec(`
        INSERT INTO users (id, username) SELECT 'p' || g, 'P' || g FROM generate_series(1, ${PLAYERS}) g;
        INSERT INTO scores (user_id, score, last_updated, total_actions) SELECT 'p' || g, g, now(), 1 FROM generate_series(1, ${PLAYERS}) g;
        INSERT INTO board_entries (board_id, period_id, user_id, score, order_score, last_updated, version)
       SELECT 'global', 'all', user_id, score, -score, last_updated, total_actions FROM scores;
        INSERT INTO score_history (user_id, action_id, action_type, score_increment, score_before, score_after)
          SELECT 'p' || g, gen_random_uuid(), 'TASK_COMPLETE', g, 0, g FROM generate_series(1, ${PLAYERS}) g;
        INSERT INTO boards (id, title) VALUES ('daily', 'Daily'), ('weekly', 'Weekly');
        ANALYZE users; ANALYZE scores; ANALYZE score_history; ANALYZE board_entries;`);
    });
    after(async () => {
      await sql.close();
      await cleanup();
    });

    it('a batch of updates reads no table whole', async () => {
      const { sql: recorder, statements } = recording(sql);
      const store = new ScoreStore(recorder);
      const updates: ScoreUpdate[] = Array.from({ length: 16 }, (_, i) => ({
        userId: i < 12 ? `p${1 + i * 401}` : `newcomer-${i}`,
        user: i < 12 ? null : { id: `newcomer-${i}`, username: `Newcomer ${i}`, email: null },
        actionId: randomUUID(),
        actionType: 'TASK_COMPLETE',
        increment: 5,
        minDurationMs: 0,
        ipAddress: '203.0.113.9',
        userAgent: 'plan',
        // A daily and a weekly board fed besides global: their entries are written in the same statement.
        boards: [
          { boardId: 'daily', periodId: '2026-12-02T00:00:00.000Z', sortOrder: 'desc' as const },
          { boardId: 'weekly', periodId: '2026-11-30T00:00:00.000Z', sortOrder: 'desc' as const },
        ],
      }));
      const results = await store.applyUpdates(updates);
      assert.deepEqual(results.map((result) => result.ok && result.value.kind), updates.map(() => 'applied'));
      const statement = statements.get('apply_updates');
      assert.ok(statement, 'the batch ran as the apply_updates statement');
      const [row] = await sql.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.params);
      const raw = row!['QUERY PLAN'];
      const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: Record<string, unknown> }>;
      assert.deepEqual(fullScans(plan[0]!.Plan).filter((table) => TABLES.has(table)), []);
    });
  });
}

planContract('PGlite', async () => ({ sql: await PgliteSqlClient.open({ dataDir: 'memory://' }), cleanup: async () => undefined }));

planContract(
  'PostgreSQL',
  async () => {
    const database = await createTestDatabase();
    return { sql: new PgSqlClient({ url: database.url, poolSize: 2 }), cleanup: database.cleanup };
  },
  SKIP_POSTGRES,
);
