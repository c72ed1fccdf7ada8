import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { migrate, readMigrations } from '../../src/db/migrations.js';
import { ScoreStore, type ScoreUpdate, type UpdateOutcome } from '../../src/db/score-store.js';
import type { SqlClient } from '../../src/db/sql-client.js';
import { HistoryStore } from '../../src/db/history-store.js';
import { UserStore } from '../../src/db/user-store.js';

/**
 * What the store promises, held against every SQL client: PGlite and PostgreSQL run the same
 * migrations and the same statements and must answer alike.
 */
export function scoreStoreContract(
  name: string,
  factory: () => Promise<{ sql: SqlClient; cleanup: () => Promise<void> }>,
  options: { skip?: string | false } = {},
): void {
  describe(`score store contract: ${name}`, { skip: options.skip }, () => {
    let sql: SqlClient;
    let store: ScoreStore;
    let users: UserStore;
    let history: HistoryStore;
    let cleanup: () => Promise<void>;

    before(async () => {
      ({ sql, cleanup } = await factory());
      assert.deepEqual(await migrate(sql), readMigrations().map((migration) => migration.version));
      store = new ScoreStore(sql);
      users = new UserStore(sql);
      history = new HistoryStore(sql);
    });
    after(async () => {
      await sql.close();
      await cleanup();
    });

    const update = (userId: string, overrides: Partial<ScoreUpdate> = {}): ScoreUpdate => ({
      userId,
      actionId: randomUUID(),
      actionType: 'TASK_COMPLETE',
      increment: 10,
      minDurationMs: 0,
      ipAddress: '203.0.113.7',
      userAgent: 'contract',
      ...overrides,
    });

    it('migrations are idempotent', async () => {
      assert.deepEqual(await migrate(sql), []);
    });

    it('applies an update and records its history', async () => {
      await users.ensureUser({ id: 'alice', username: 'Alice', email: 'alice@example.com' });
      const first = await store.applyUpdate(update('alice', { increment: 7 }));
      assert.equal(first.kind, 'applied');
      assert.ok(first.kind === 'applied');
      assert.equal(first.newScore, 7);
      assert.equal(first.previousScore, 0);
      assert.equal(first.totalActions, 1);
      assert.equal(first.username, 'Alice');
      const second = await store.applyUpdate(update('alice', { increment: 5 }));
      assert.ok(second.kind === 'applied');
      assert.equal(second.newScore, 12);
      assert.equal(second.previousScore, 7);
      assert.ok(second.lastUpdatedMs >= first.lastUpdatedMs);
      const rows = await history.history('alice', 10, null);
      assert.equal(rows.length, 2);
      assert.deepEqual(
        rows.map((h) => [h.scoreBefore, h.scoreAfter, h.scoreIncrement, h.ipAddress, h.userAgent]),
        [
          [7, 12, 5, '203.0.113.7', 'contract'],
          [0, 7, 7, '203.0.113.7', 'contract'],
        ],
      );
      const user = await store.getUserScore('alice');
      assert.equal(user?.score, 12);
      assert.equal(user?.totalActions, 2);
      assert.equal(user?.email, 'alice@example.com');
      assert.ok(user?.firstAction instanceof Date);
    });

    it('refuses a replayed action id and reports the original', async () => {
      await users.ensureUser({ id: 'bob', username: null, email: null });
      const body = update('bob', { increment: 3 });
      assert.equal((await store.applyUpdate(body)).kind, 'applied');
      const replay = await store.applyUpdate({ ...body, increment: 40 });
      assert.equal(replay.kind, 'duplicate');
      assert.ok(replay.kind === 'duplicate');
      assert.equal(replay.original?.userId, 'bob');
      assert.equal(replay.original?.newScore, 3);
      assert.equal((await store.getUserScore('bob'))?.score, 3);
    });

    it('refuses a frozen account without changing its score, and applies again once unfrozen', async () => {
      await users.ensureUser({ id: 'carol', username: 'Carol', email: null });
      await store.applyUpdate(update('carol'));
      assert.equal(await users.setStatus('carol', 'frozen', 'testing'), true);
      const body = update('carol');
      assert.deepEqual(await store.applyUpdate(body), { kind: 'frozen' });
      assert.equal((await store.getUserScore('carol'))?.frozenReason, 'testing');
      assert.equal(await users.setStatus('carol', 'active', null), true);
      const retried = await store.applyUpdate(body);
      assert.ok(retried.kind === 'applied');
      assert.equal(retried.newScore, 20);
      assert.equal(await users.setStatus('nobody', 'frozen', 'x'), false);
    });

    it('enforces minDuration per action type under the row lock, even for concurrent requests', async () => {
      await users.ensureUser({ id: 'dave', username: null, email: null });
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, () => store.applyUpdate(update('dave', { actionType: 'LEVEL_UP', minDurationMs: 30_000 }))),
      );
      assert.equal(outcomes.filter((o) => o.kind === 'applied').length, 1);
      const refused = outcomes.filter((o) => o.kind === 'too-fast');
      assert.equal(refused.length, 11);
      for (const outcome of refused) {
        assert.ok(outcome.kind === 'too-fast' && outcome.retryAfterMs > 25_000 && outcome.retryAfterMs <= 30_000);
      }
      // Another action type is not held back by LEVEL_UP's cooldown.
      assert.equal((await store.applyUpdate(update('dave', { actionType: 'ACHIEVEMENT', minDurationMs: 1000 }))).kind, 'applied');
      assert.equal((await store.getUserScore('dave'))?.score, 20);
    });

    it('serialises concurrent updates of one user to the exact sum', async () => {
      await users.ensureUser({ id: 'erin', username: null, email: null });
      const increments = Array.from({ length: 60 }, (_, i) => (i % 9) + 1);
      const outcomes = await Promise.all(increments.map((increment) => store.applyUpdate(update('erin', { increment }))));
      assert.ok(outcomes.every((o) => o.kind === 'applied'));
      const sum = increments.reduce((a, b) => a + b, 0);
      assert.equal((await store.getUserScore('erin'))?.score, sum);
      const [row] = await sql.query(`SELECT count(*)::bigint AS n FROM score_history WHERE user_id = 'erin'`);
      assert.equal(row?.n, 60);
    });

    it('refuses a score beyond 2^53 - 1 without changing it', async () => {
      await users.ensureUser({ id: 'max', username: null, email: null });
      await store.applyUpdate(update('max', { increment: 1 }));
      await sql.query(`UPDATE scores SET score = 9007199254740990 WHERE user_id = 'max'`);
      assert.equal((await store.applyUpdate(update('max', { increment: 1 }))).kind, 'applied');
      assert.deepEqual(await store.applyUpdate(update('max', { increment: 1 })), { kind: 'score-overflow' });
      assert.equal((await store.getUserScore('max'))?.score, Number.MAX_SAFE_INTEGER);
    });

    it('reports an unknown user instead of creating a score for them', async () => {
      assert.deepEqual(await store.applyUpdate(update('ghost')), { kind: 'unknown-user' });
      assert.equal(await store.getUserScore('ghost'), null);
    });

    it('applies a batch in one statement and answers each update as applyUpdate would', async () => {
      await users.ensureUsers([
        { id: 'b-scored', username: 'Scored', email: null },
        { id: 'b-new', username: 'New', email: null },
        { id: 'b-frozen', username: null, email: null },
        { id: 'b-slow', username: null, email: null },
        { id: 'b-replay', username: null, email: null },
      ]);
      await store.applyUpdate(update('b-scored', { increment: 5 }));
      await store.applyUpdate(update('b-frozen', { increment: 5 }));
      await users.setStatus('b-frozen', 'frozen', 'testing');
      await store.applyUpdate(update('b-slow', { actionType: 'LEVEL_UP', minDurationMs: 30_000 }));
      const replayed = update('b-replay', { increment: 4 });
      assert.equal((await store.applyUpdate(replayed)).kind, 'applied');
      const batch = [
        update('b-scored', { increment: 3 }),
        update('b-new', { increment: 2, ipAddress: null, userAgent: null }),
        update('b-frozen'),
        update('b-slow', { actionType: 'LEVEL_UP', minDurationMs: 30_000 }),
        { ...replayed, increment: 1 },
        update('b-ghost'),
      ];
      const results = await store.applyUpdates(batch);
      const outcomes = results.map((result) => (result.ok ? result.value : result.error)) as UpdateOutcome[];
      assert.deepEqual(
        outcomes.map((o) => o.kind),
        ['applied', 'applied', 'frozen', 'too-fast', 'duplicate', 'unknown-user'],
      );
      const [scored, fresh, , slow, duplicate] = outcomes;
      assert.ok(scored?.kind === 'applied' && fresh?.kind === 'applied');
      assert.deepEqual([scored.newScore, scored.previousScore, scored.totalActions, scored.username], [8, 5, 2, 'Scored']);
      assert.deepEqual([fresh.newScore, fresh.previousScore, fresh.totalActions, fresh.username], [2, 0, 1, 'New']);
      assert.ok(slow?.kind === 'too-fast' && slow.retryAfterMs > 25_000);
      assert.ok(duplicate?.kind === 'duplicate' && duplicate.original?.userId === 'b-replay' && duplicate.original.newScore === 4);
      // Only the applied ones wrote: scores and history rows, with their own before/after and audit fields.
      const history = await sql.query(
        `SELECT user_id, score_before, score_after, host(ip_address) AS ip, user_agent FROM score_history
         WHERE action_id = ANY($1::uuid[]) ORDER BY user_id`,
        [`{${batch.map((u) => u.actionId).join(',')}}`],
      );
      assert.deepEqual(history, [
        { user_id: 'b-new', score_before: 0, score_after: 2, ip: null, user_agent: null },
        { user_id: 'b-replay', score_before: 0, score_after: 4, ip: '203.0.113.7', user_agent: 'contract' },
        { user_id: 'b-scored', score_before: 5, score_after: 8, ip: '203.0.113.7', user_agent: 'contract' },
      ]);
      assert.equal((await store.getUserScore('b-frozen'))?.score, 5);
      assert.equal((await store.getUserScore('b-slow'))?.score, 10);
      assert.equal((await store.getUserScore('b-replay'))?.score, 4);
      assert.equal(await store.getUserScore('b-ghost'), null);
      // The batch's times are the ones stored, and rank as SQL ranks them.
      const stored = await store.getUserScore('b-new');
      assert.ok(fresh.lastUpdatedMs === stored?.lastUpdatedMs);
    });

    it('creates first-seen users in the batch statement itself, and refreshes their names from newer claims', async () => {
      await users.ensureUser({ id: 'p-known', username: 'Old', email: null });
      const results = await store.applyUpdates([
        update('p-new', { user: { id: 'p-new', username: 'Newcomer', email: 'new@example.com' }, increment: 3 }),
        update('p-known', { user: { id: 'p-known', username: 'Renamed', email: null }, increment: 4 }),
      ]);
      const outcomes = results.map((result) => (result.ok ? result.value : result.error)) as UpdateOutcome[];
      assert.deepEqual(
        outcomes.map((o) => o.kind === 'applied' && [o.newScore, o.username]),
        [[3, 'Newcomer'], [4, 'Renamed']],
      );
      const rows = await sql.query(`SELECT id, username, email, status FROM users WHERE id LIKE 'p-%' ORDER BY id`);
      assert.deepEqual(rows, [
        { id: 'p-known', username: 'Renamed', email: null, status: 'active' },
        { id: 'p-new', username: 'Newcomer', email: 'new@example.com', status: 'active' },
      ]);
      // Alone, too: one statement creates the user and applies the update.
      const [alone] = await store.applyUpdates([update('p-alone', { user: { id: 'p-alone', username: null, email: null } })]);
      assert.ok(alone?.ok && alone.value.kind === 'applied' && alone.value.newScore === 10);
      // A frozen user stays frozen and unchanged when their claims are written again.
      await users.setStatus('p-known', 'frozen', 'testing');
      const [frozen] = await store.applyUpdates([update('p-known', { user: { id: 'p-known', username: 'Again', email: null } })]);
      assert.ok(frozen?.ok && frozen.value.kind === 'frozen');
      assert.equal((await store.getUserScore('p-known'))?.score, 4);
    });

    it('answers each update of a batch whose statement fails with its own outcome', async () => {
      await users.ensureUsers([
        { id: 'f-max', username: null, email: null },
        { id: 'f-one', username: null, email: null },
        { id: 'f-two', username: null, email: null },
      ]);
      await store.applyUpdate(update('f-max'));
      await sql.query(`UPDATE scores SET score = 9007199254740990 WHERE user_id = 'f-max'`);
      // An overflow fails the batch's CHECK; a shared action id fails its unique index.
      const shared = update('f-one', { increment: 6 });
      const results = await store.applyUpdates([update('f-max', { increment: 5 }), shared, { ...shared, userId: 'f-two' }]);
      const kinds = results.map((result) => (result.ok ? result.value.kind : 'error'));
      assert.deepEqual(kinds, ['score-overflow', 'applied', 'duplicate']);
      assert.equal((await store.getUserScore('f-max'))?.score, 9007199254740990);
      assert.equal((await store.getUserScore('f-one'))?.score, 6);
      assert.equal((await store.getUserScore('f-two'))?.score, 0);
    });

    it('no single bad row changes how the rest of its batch is written', async () => {
      const ids = Array.from({ length: 40 }, (_, i) => `poison-${String(i).padStart(2, '0')}`);
      await users.ensureUsers(ids.map((id) => ({ id, username: null, email: null })));
      await store.applyUpdate(update('poison-07'));
      await sql.query(`UPDATE scores SET score = 9007199254740990 WHERE user_id = 'poison-07'`);
      const batch = ids.map((id) => update(id, { increment: 3 }));
      // An increment that would overflow; an action id the database refuses (the schema's uuid format
      // would let `urn:uuid:` through); a lone surrogate in the user agent; one action id twice (a
      // replay racing in from another instance fails the statement on the unique index).
      batch[7] = update('poison-07', { increment: 5 });
      batch[12] = update('poison-12', { actionId: `urn:uuid:${randomUUID()}` });
      batch[20] = update('poison-20', { increment: 3, userAgent: 'broken \ud800 agent' });
      batch[33] = { ...batch[33]!, actionId: batch[4]!.actionId };
      let statements = 0;
      const counting: SqlClient = Object.assign(Object.create(sql) as SqlClient, {
        query: (text: string, params?: readonly unknown[], options?: { name?: string }) => {
          if (options?.name === 'apply_updates') statements += 1;
          return sql.query(text, params, options);
        },
      });
      const results = await new ScoreStore(counting).applyUpdates(batch);
      const kinds = results.map((result) => (result.ok ? result.value.kind : `error ${String(result.error)}`));
      assert.deepEqual(kinds.filter((kind) => kind !== 'applied'), ['score-overflow', 'invalid', 'duplicate']);
      assert.deepEqual([kinds[7], kinds[12], kinds[33]], ['score-overflow', 'invalid', 'duplicate']);
      // One statement for the batch, then its halves: not one per update.
      assert.ok(statements <= 3, `${statements} statements`);
      for (const [i, id] of ids.entries()) {
        const expected = i === 7 ? 9007199254740990 : i === 12 || i === 33 ? 0 : 3;
        assert.equal((await store.getUserScore(id))?.score ?? 0, expected, id);
      }
      assert.deepEqual((await history.history('poison-20', 1, null)).map((h) => h.userAgent), ['broken \ufffd agent']);
    });

    it('concurrent batches over the same players lock in one order: no deadlock, exact sums', async () => {
      const ids = Array.from({ length: 20 }, (_, i) => `c-${String(i).padStart(2, '0')}`);
      await users.ensureUsers(ids.map((id) => ({ id, username: null, email: null })));
      const batches = Array.from({ length: 8 }, (_, b) => {
        const order = b % 2 === 0 ? ids : [...ids].reverse();
        return order.map((id) => update(id, { increment: b + 1 }));
      });
      const results = await Promise.all(batches.map((batch) => store.applyUpdates(batch)));
      assert.ok(results.flat().every((result) => result.ok && result.value.kind === 'applied'));
      for (const id of ids) assert.equal((await store.getUserScore(id))?.score, 36);
      const [row] = await sql.query(`SELECT count(*)::bigint AS n FROM score_history WHERE user_id LIKE 'c-%'`);
      assert.equal(row?.n, 160);
    });

    it('creates and refreshes many users in one statement', async () => {
      await users.ensureUsers([
        { id: 'e-1', username: 'One', email: null },
        { id: 'e-2', username: null, email: 'two@example.com' },
      ]);
      await users.ensureUsers([
        { id: 'e-1', username: null, email: 'one@example.com' },
        { id: 'e-2', username: 'Two', email: null },
        { id: 'e-3', username: null, email: null },
      ]);
      const rows = await sql.query(`SELECT id, username, email FROM users WHERE id LIKE 'e-%' ORDER BY id`);
      assert.deepEqual(rows, [
        { id: 'e-1', username: 'One', email: 'one@example.com' },
        { id: 'e-2', username: 'Two', email: 'two@example.com' },
        { id: 'e-3', username: null, email: null },
      ]);
    });

    it('keeps any text exactly through its prepared statements: quotes, backslashes, unicode', async () => {
      const nasty = `O'Brien \\ '' ; DROP TABLE users; -- \u00e9\u6392 $1 E'\\x41'`;
      await users.ensureUser({ id: "q'id", username: nasty, email: `${nasty}@example.com` });
      const applied = await store.applyUpdate(update("q'id", { userAgent: nasty, increment: 2 }));
      assert.ok(applied.kind === 'applied' && applied.username === nasty);
      const [batched] = await store.applyUpdates([update("q'id", { user: { id: "q'id", username: `${nasty}!`, email: null }, userAgent: nasty })]);
      assert.ok(batched?.ok && batched.value.kind === 'applied' && batched.value.username === `${nasty}!`);
      const user = await store.getUserScore("q'id");
      assert.deepEqual([user?.username, user?.email, user?.score], [`${nasty}!`, `${nasty}@example.com`, 12]);
      assert.deepEqual((await history.history("q'id", 5, null)).map((h) => h.userAgent), [nasty, nasty]);
      const [count] = await sql.query('SELECT count(*)::bigint AS n FROM users');
      assert.ok((count?.n as number) > 1);
    });

    it('refreshes names from newer claims but never erases them with missing ones', async () => {
      await users.ensureUser({ id: 'frank', username: 'Frank', email: null });
      await users.ensureUser({ id: 'frank', username: null, email: 'f@example.com' });
      let user = await store.getUserScore('frank');
      assert.equal(user?.username, 'Frank');
      assert.equal(user?.email, 'f@example.com');
      await users.ensureUser({ id: 'frank', username: 'Franky', email: null });
      user = await store.getUserScore('frank');
      assert.equal(user?.username, 'Franky');
      // Names are display names: two users may share one.
      await users.ensureUser({ id: 'frank2', username: 'Franky', email: null });
      assert.equal((await store.getUserScore('frank2'))?.username, 'Franky');
      assert.equal((await store.getUserScore('frank2'))?.score, 0);
      assert.equal((await store.getUserScore('frank2'))?.lastUpdatedMs, null);
    });

    it('pages history newest first with a before cursor', async () => {
      await users.ensureUser({ id: 'gina', username: null, email: null });
      for (let i = 1; i <= 5; i++) await store.applyUpdate(update('gina', { increment: i }));
      const page1 = await history.history('gina', 2, null);
      const page2 = await history.history('gina', 2, page1[1]!.id);
      const page3 = await history.history('gina', 2, page2[1]!.id);
      assert.deepEqual([...page1, ...page2, ...page3].map((h) => h.scoreIncrement), [5, 4, 3, 2, 1]);
    });
  });
}
