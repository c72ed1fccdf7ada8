import { isIP } from 'node:net';
import { isActionId } from '../action-id.js';
import { GLOBAL_BOARD_ID, type Board, type BoardDefinition, type BoardRef, type SortOrder } from '../boards/board.js';
import type { BoardEntry, BoardRepository, BoardSubmission, EntryPosition, SubmissionOutcome } from '../boards/board-repository.js';
import { isUserId } from '../user-id.js';
import type { BatchResult } from '../group-commit.js';
import { upsertUsers } from './user-store.js';
import type { Row, SqlClient } from './sql-client.js';
import { isConnectionError, sqlState } from './sql-client.js';

const MAX_SCORE = Number.MAX_SAFE_INTEGER;
const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::bigint`;
const ENTRY = `be.user_id, u.username, be.score, ${ms('be.last_updated')} AS last_updated_ms, be.version`;
/** A cursor position as SQL compares it: the board order's row value. */
const POSITION = `(be.order_score, be.last_updated, be.user_id)`;
const AT = (n: number) => `($${n}::bigint, to_timestamp($${n + 1}::double precision / 1000), $${n + 2}::text)`;

/**
 * A keyset page's size, written into the statement: with `LIMIT $n` PostgreSQL's generic plan
 * guesses a tenth of a third of the board (a parallel scan), so it re-planned every execution
 * (~0.3-0.6 ms each on a 1M board, more than the execution); with the literal it keeps one generic
 * plan per statement and size. Sizes are small integers (at most 101 from the routes).
 */
function pageSize(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new RangeError(`page size must be an integer from 1 to 10000, got ${limit}`);
  return limit;
}

function toEntry(row: Row): BoardEntry {
  return {
    userId: row.user_id as string,
    username: (row.username as string | null) ?? null,
    score: row.score as number,
    lastUpdatedMs: row.last_updated_ms as number,
    version: row.version as number,
  };
}

function toBoard(row: Row): Board {
  // jsonb arrives parsed from both drivers; `"all"` (a JSON string) then is the text all.
  const actions = row.actions === 'all' || row.actions === '"all"' ? 'all' : typeof row.actions === 'string' ? JSON.parse(row.actions) : row.actions;
  const metadata = typeof row.metadata === 'string' ? JSON.parse(row.metadata) : row.metadata;
  return {
    id: row.id as string,
    title: row.title as string,
    sortOrder: row.sort_order as SortOrder,
    operator: row.operator as Board['operator'],
    reset: (row.reset as string | null) ?? null,
    timezone: row.timezone as string,
    actions: actions === 'all' ? 'all' : (actions as string[]),
    minScore: row.min_score as number,
    maxScore: row.max_score as number,
    startsAt: (row.starts_at as Date | null) ?? null,
    endsAt: (row.ends_at as Date | null) ?? null,
    keepPeriods: (row.keep_periods as number | null) ?? null,
    metadata: metadata as Record<string, unknown>,
    createdAt: row.created_at as Date,
  };
}

function definitionParams(definition: BoardDefinition): unknown[] {
  return [
    definition.id,
    definition.title,
    definition.sortOrder,
    definition.operator,
    definition.reset,
    definition.timezone,
    JSON.stringify(definition.actions),
    definition.minScore,
    definition.maxScore,
    definition.startsAt,
    definition.endsAt,
    definition.keepPeriods,
    JSON.stringify(definition.metadata),
  ];
}

const BUMP_CATALOGUE = `UPDATE board_catalogue SET version = version + 1 WHERE id`;

/**
 * Direct submissions of distinct (player, board, period), one statement. The entries concerned are
 * locked first (in key order, so concurrent batches cannot deadlock), so each row's score before is
 * the one its operator is applied to: `increment` adds, `best` keeps the better by the board's order,
 * `latest` keeps the submitted one. An entry that does not change keeps its time (the tie-break) and
 * version; every accepted submission gets its history row. Rows not applied (frozen, replayed,
 * overflowing, or an entry created meanwhile by another instance) are left out and classified after.
 */
const APPLY_SUBMISSIONS_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS i(user_id text, board_id text, period_id text, is_desc boolean, op text, score bigint, action_id uuid,
         ip inet, ua text, username text, email text, provision boolean, api_key text)
), provisioned AS (
  ${upsertUsers('SELECT i.user_id AS id, i.username, i.email FROM input i WHERE i.provision')}
  RETURNING u.id, u.username, u.status
), locked AS (
  SELECT be.board_id, be.period_id, be.user_id, be.score
  FROM board_entries be JOIN input i ON (be.board_id, be.period_id, be.user_id) = (i.board_id, i.period_id, i.user_id)
  ORDER BY be.board_id, be.period_id, be.user_id
  FOR UPDATE OF be
), eligible AS (
  SELECT i.*, COALESCE(p.username, u.username) AS known_name, l.score AS before,
         CASE WHEN l.score IS NULL THEN i.score
              WHEN i.op = 'increment' THEN l.score + i.score
              WHEN i.op = 'latest' THEN i.score
              WHEN i.is_desc THEN GREATEST(l.score, i.score)
              ELSE LEAST(l.score, i.score) END AS after
  FROM input i
  LEFT JOIN LATERAL (SELECT u.username, u.status FROM users u WHERE u.id = i.user_id LIMIT 1) u ON true
  LEFT JOIN provisioned p ON p.id = i.user_id
  LEFT JOIN locked l ON (l.board_id, l.period_id, l.user_id) = (i.board_id, i.period_id, i.user_id)
  WHERE COALESCE(p.status, u.status) = 'active'
    AND (SELECT 1 FROM score_history h WHERE h.action_id = i.action_id LIMIT 1) IS NULL
    AND (i.op <> 'increment' OR COALESCE(l.score, 0) + i.score BETWEEN -${MAX_SCORE} AND ${MAX_SCORE})
), changed AS (
  UPDATE board_entries be SET
    score = e.after,
    order_score = CASE WHEN e.is_desc THEN -e.after ELSE e.after END,
    last_updated = date_trunc('milliseconds', clock_timestamp()),
    version = be.version + 1
  FROM eligible e
  WHERE (be.board_id, be.period_id, be.user_id) = (e.board_id, e.period_id, e.user_id)
    AND e.before IS NOT NULL AND e.after <> e.before
  RETURNING be.board_id, be.period_id, be.user_id, be.score, be.last_updated, be.version
), inserted AS (
  INSERT INTO board_entries (board_id, period_id, user_id, score, order_score, last_updated, version)
  SELECT e.board_id, e.period_id, e.user_id, e.after, CASE WHEN e.is_desc THEN -e.after ELSE e.after END,
         date_trunc('milliseconds', clock_timestamp()), 1
  FROM eligible e WHERE e.before IS NULL
  ORDER BY e.board_id, e.period_id, e.user_id
  ON CONFLICT DO NOTHING
  RETURNING board_id, period_id, user_id, score, last_updated, version
), kept AS (
  SELECT be.board_id, be.period_id, be.user_id, be.score, be.last_updated, be.version
  FROM board_entries be JOIN eligible e ON (be.board_id, be.period_id, be.user_id) = (e.board_id, e.period_id, e.user_id)
  WHERE e.before IS NOT NULL AND e.after = e.before
), result AS (
  SELECT * FROM changed UNION ALL SELECT * FROM inserted UNION ALL SELECT * FROM kept
), hist AS (
  INSERT INTO score_history (user_id, action_id, action_type, score_increment, score_before, score_after,
                             ip_address, user_agent, created_at, board_id, period_id, submitted_score, api_key_id)
  SELECT e.user_id, e.action_id, 'BOARD_SUBMISSION', 0, e.before, r.score, e.ip, e.ua,
         date_trunc('milliseconds', clock_timestamp()), e.board_id, e.period_id, e.score, e.api_key
  FROM result r JOIN eligible e ON (e.board_id, e.period_id, e.user_id) = (r.board_id, r.period_id, r.user_id)
)
SELECT r.board_id, r.period_id, r.user_id, r.score, e.before, ${ms('r.last_updated')} AS last_updated_ms, r.version,
       e.after <> e.before OR e.before IS NULL AS improved, e.known_name AS username
FROM result r JOIN eligible e ON (e.board_id, e.period_id, e.user_id) = (r.board_id, r.period_id, r.user_id)`;

const CLASSIFY_SUBMISSION_SQL = `
SELECT (SELECT status FROM users WHERE id = $1) AS status,
       (SELECT score FROM board_entries WHERE board_id = $3 AND period_id = $4 AND user_id = $1) AS score,
       h.user_id AS original_user_id, h.score_after AS original_score, ${ms('h.created_at')} AS original_at_ms
FROM (SELECT 1) one LEFT JOIN score_history h ON h.action_id = $2::uuid`;

function invalidField(submission: BoardSubmission): string | null {
  if (!isActionId(submission.actionId)) return 'actionId';
  if (!isUserId(submission.userId)) return 'userId';
  if (!Number.isSafeInteger(submission.score)) return 'score';
  if (submission.ipAddress !== null && isIP(submission.ipAddress) === 0) return 'ipAddress';
  return null;
}

const storableText = (text: string | null) => (text === null ? null : text.replace(/\u0000/g, '').replace(/\p{Cs}/gu, '\uFFFD'));

/** Boards, their entries and direct submissions in SQL: what `BoardRepository` promises. */
export class BoardStore implements BoardRepository {
  constructor(private readonly sql: SqlClient) {}

  async listBoards(): Promise<Board[]> {
    return (await this.sql.query('SELECT * FROM boards ORDER BY id')).map(toBoard);
  }

  async catalogueVersion(): Promise<number> {
    const [row] = await this.sql.query('SELECT version FROM board_catalogue WHERE id', [], { name: 'board_catalogue_version' });
    return row?.version as number;
  }

  async createBoard(definition: BoardDefinition): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.query(
        `INSERT INTO boards (id, title, sort_order, operator, reset, timezone, actions, min_score, max_score, starts_at, ends_at, keep_periods, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13::jsonb) ON CONFLICT (id) DO NOTHING RETURNING id`,
        definitionParams(definition),
      );
      if (rows.length > 0) await tx.query(BUMP_CATALOGUE);
      return rows.length > 0;
    });
  }

  async updateBoard(definition: BoardDefinition): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE boards SET title = $2, actions = $7::jsonb, min_score = $8, max_score = $9, starts_at = $10, ends_at = $11,
                keep_periods = $12, metadata = $13::jsonb, updated_at = now()
         WHERE id = $1 AND (sort_order, operator, reset IS NOT DISTINCT FROM $5, timezone) = ($3, $4, true, $6) RETURNING id`,
        definitionParams(definition),
      );
      if (rows.length > 0) await tx.query(BUMP_CATALOGUE);
      return rows.length > 0;
    });
  }

  async deleteBoard(boardId: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.query(`DELETE FROM boards WHERE id = $1 RETURNING id`, [boardId]);
      if (rows.length > 0) await tx.query(BUMP_CATALOGUE);
      return rows.length > 0;
    });
  }

  async page(ref: BoardRef, _sortOrder: SortOrder, after: EntryPosition | null, limit: number): Promise<BoardEntry[]> {
    const params: unknown[] = [ref.boardId, ref.periodId];
    if (after) params.push(after.orderScore, after.lastUpdatedMs, after.userId);
    const rows = await this.sql.query(
      `SELECT ${ENTRY} FROM board_entries be JOIN users u ON u.id = be.user_id
       WHERE be.board_id = $1 AND be.period_id = $2 AND NOT u.hidden ${after ? `AND ${POSITION} > ${AT(3)}` : ''}
       ORDER BY be.order_score, be.last_updated, be.user_id LIMIT ${pageSize(limit)}`,
      params,
      { name: `${after ? 'board_page_after' : 'board_page'}_${limit}` },
    );
    return rows.map(toEntry);
  }

  async pageAt(ref: BoardRef, offset: number, limit: number): Promise<BoardEntry[]> {
    const rows = await this.sql.query(
      `SELECT ${ENTRY} FROM board_entries be JOIN users u ON u.id = be.user_id
       WHERE be.board_id = $1 AND be.period_id = $2 AND NOT u.hidden
       ORDER BY be.order_score, be.last_updated, be.user_id LIMIT $3 OFFSET $4`,
      [ref.boardId, ref.periodId, limit, offset],
      { name: 'board_page_at' },
    );
    return rows.map(toEntry);
  }

  async pageBefore(ref: BoardRef, _sortOrder: SortOrder, before: EntryPosition, limit: number): Promise<BoardEntry[]> {
    const rows = await this.sql.query(
      `SELECT ${ENTRY} FROM board_entries be JOIN users u ON u.id = be.user_id
       WHERE be.board_id = $1 AND be.period_id = $2 AND NOT u.hidden AND ${POSITION} < ${AT(3)}
       ORDER BY be.order_score DESC, be.last_updated DESC, be.user_id DESC LIMIT ${pageSize(limit)}`,
      [ref.boardId, ref.periodId, before.orderScore, before.lastUpdatedMs, before.userId],
      { name: `board_page_before_${limit}` },
    );
    return rows.map(toEntry);
  }

  async countBefore(ref: BoardRef, position: EntryPosition): Promise<number> {
    // Counted on the index alone, minus the hidden players (few) found through their own index.
    const [row] = await this.sql.query(
      `SELECT (SELECT count(*) FROM board_entries be WHERE be.board_id = $1 AND be.period_id = $2 AND ${POSITION} < ${AT(3)})
            - (SELECT count(*) FROM users h JOIN board_entries be ON (be.board_id, be.period_id, be.user_id) = ($1, $2, h.id)
               WHERE h.hidden AND ${POSITION} < ${AT(3)}) AS n`,
      [ref.boardId, ref.periodId, position.orderScore, position.lastUpdatedMs, position.userId],
      { name: 'board_count_before' },
    );
    return row?.n as number;
  }

  async count(ref: BoardRef): Promise<number> {
    const [row] = await this.sql.query(
      `SELECT (SELECT count(*) FROM board_entries WHERE board_id = $1 AND period_id = $2)
            - (SELECT count(*) FROM users h JOIN board_entries be ON (be.board_id, be.period_id, be.user_id) = ($1, $2, h.id) WHERE h.hidden) AS n`,
      [ref.boardId, ref.periodId],
      { name: 'board_count' },
    );
    return row?.n as number;
  }

  async entriesOf(ref: BoardRef, userIds: readonly string[]): Promise<BoardEntry[]> {
    if (userIds.length === 0) return [];
    const rows = await this.sql.query(
      `SELECT ${ENTRY} FROM board_entries be JOIN users u ON u.id = be.user_id
       WHERE be.board_id = $1 AND be.period_id = $2 AND be.user_id = ANY($3::text[]) AND NOT u.hidden`,
      [ref.boardId, ref.periodId, userIds],
      { name: 'board_entries_of' },
    );
    return rows.map(toEntry);
  }

  async periodIds(boardId: string, beforeId: string | null, limit: number): Promise<string[]> {
    // A skip scan of the primary key: one index probe per distinct period, however many entries each holds.
    const rows = await this.sql.query(
      `WITH RECURSIVE p(period_id, n) AS (
         (SELECT period_id, 1 FROM board_entries WHERE board_id = $1 AND ($2::text IS NULL OR period_id < $2) ORDER BY period_id DESC LIMIT 1)
         UNION ALL
         SELECT (SELECT period_id FROM board_entries WHERE board_id = $1 AND period_id < p.period_id ORDER BY period_id DESC LIMIT 1), p.n + 1
         FROM p WHERE p.period_id IS NOT NULL AND p.n < $3
       ) SELECT period_id FROM p WHERE period_id IS NOT NULL`,
      [boardId, beforeId, limit],
    );
    return rows.map((row) => row.period_id as string);
  }

  async *streamEntries(ref: BoardRef, batchSize = 10_000): AsyncGenerator<BoardEntry[]> {
    let after = '';
    for (;;) {
      const rows = await this.sql.query(
        `SELECT ${ENTRY} FROM board_entries be JOIN users u ON u.id = be.user_id
         WHERE be.board_id = $1 AND be.period_id = $2 AND be.user_id > $3 AND NOT u.hidden ORDER BY be.user_id LIMIT $4`,
        [ref.boardId, ref.periodId, after, batchSize],
      );
      if (rows.length === 0) return;
      const entries = rows.map(toEntry);
      yield entries;
      if (rows.length < batchSize) return;
      after = entries[entries.length - 1]!.userId;
    }
  }

  async applySubmissions(submissions: readonly BoardSubmission[]): Promise<Array<BatchResult<SubmissionOutcome>>> {
    const results: Array<BatchResult<SubmissionOutcome>> = new Array(submissions.length);
    const valid: number[] = [];
    submissions.forEach((submission, i) => {
      const field = invalidField(submission);
      if (field) results[i] = { ok: true, value: { kind: 'invalid', field } };
      else valid.push(i);
    });
    const outcomes = await this.applyValid(valid.map((i) => submissions[i]!));
    valid.forEach((i, k) => {
      results[i] = outcomes[k]!;
    });
    return results;
  }

  /** One statement; on a statement error, halves (so no single bad row changes how the others are written). */
  private async applyValid(submissions: readonly BoardSubmission[], retry = true): Promise<Array<BatchResult<SubmissionOutcome>>> {
    if (submissions.length === 0) return [];
    let rows: Row[];
    try {
      rows = await this.runSubmissions(submissions);
    } catch (error) {
      if (sqlState(error) === undefined || isConnectionError(error)) throw error;
      if (submissions.length === 1) return [{ ok: false, error }];
      const middle = Math.ceil(submissions.length / 2);
      return [...(await this.applyValid(submissions.slice(0, middle))), ...(await this.applyValid(submissions.slice(middle)))];
    }
    const applied = new Map<string, Row>();
    for (const row of rows) applied.set(`${row.board_id}\u0000${row.period_id}\u0000${row.user_id}`, row);
    return Promise.all(
      submissions.map(async (submission): Promise<BatchResult<SubmissionOutcome>> => {
        const row = applied.get(`${submission.boardId}\u0000${submission.periodId}\u0000${submission.userId}`);
        if (row) return { ok: true, value: toApplied(row) };
        try {
          const outcome = await this.classify(submission);
          // An entry created meanwhile by another instance: now it exists, so the submission applies to it.
          if (outcome === null && retry) return (await this.applyValid([submission], false))[0]!;
          return { ok: true, value: outcome ?? { kind: 'unknown-user' } };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }

  private runSubmissions(submissions: readonly BoardSubmission[]): Promise<Row[]> {
    const input = submissions.map((s) => ({
      user_id: s.userId,
      board_id: s.boardId,
      period_id: s.periodId,
      is_desc: s.sortOrder === 'desc',
      op: s.operator,
      score: s.score,
      action_id: s.actionId,
      ip: s.ipAddress,
      ua: storableText(s.userAgent),
      username: storableText(s.user?.username ?? null),
      email: storableText(s.user?.email ?? null),
      provision: Boolean(s.user),
      api_key: s.apiKeyId ?? null,
    }));
    return this.sql.query(APPLY_SUBMISSIONS_SQL, [JSON.stringify(input)], { name: 'apply_submissions' });
  }

  /** Why a submission was left out, or null when nothing explains it (an entry created meanwhile). */
  private async classify(submission: BoardSubmission): Promise<SubmissionOutcome | null> {
    const [row] = await this.sql.query(CLASSIFY_SUBMISSION_SQL, [submission.userId, submission.actionId, submission.boardId, submission.periodId], {
      name: 'classify_submission',
    });
    if (!row) throw new Error('classification query returned no row');
    if (row.original_user_id !== null) {
      return { kind: 'duplicate', original: { userId: row.original_user_id as string, newScore: row.original_score as number, appliedAtMs: row.original_at_ms as number } };
    }
    if (row.status === null) return { kind: 'unknown-user' };
    if (row.status === 'frozen') return { kind: 'frozen' };
    const current = row.score as number | null;
    if (submission.operator === 'increment' && Math.abs((current ?? 0) + submission.score) > MAX_SCORE) return { kind: 'score-overflow' };
    return null;
  }

  async removeEntry(ref: BoardRef, userId: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.query(`DELETE FROM board_entries WHERE board_id = $1 AND period_id = $2 AND user_id = $3 RETURNING user_id`, [
        ref.boardId,
        ref.periodId,
        userId,
      ]);
      // The global entry mirrors the scores row: a removed bad score must not come back with the
      // player's next update, so the row's score goes with it (its totals and history stay).
      if (rows.length > 0 && ref.boardId === GLOBAL_BOARD_ID) await tx.query(`UPDATE scores SET score = 0 WHERE user_id = $1`, [userId]);
      return rows.length > 0;
    });
  }

  async pruneBefore(boardId: string, keepFromPeriodId: string, limit: number): Promise<number> {
    const rows = await this.sql.query(
      `DELETE FROM board_entries WHERE (board_id, period_id, user_id) IN (
         SELECT board_id, period_id, user_id FROM board_entries WHERE board_id = $1 AND period_id < $2 LIMIT $3)
       RETURNING 1`,
      [boardId, keepFromPeriodId, limit],
    );
    return rows.length;
  }

  async entriesOfUser(userId: string): Promise<Array<BoardEntry & BoardRef>> {
    const rows = await this.sql.query(
      `SELECT be.board_id, be.period_id, ${ENTRY} FROM board_entries be JOIN users u ON u.id = be.user_id
       WHERE be.user_id = $1 ORDER BY be.board_id, be.period_id`,
      [userId],
    );
    return rows.map((row) => ({ ...toEntry(row), boardId: row.board_id as string, periodId: row.period_id as string }));
  }
}

function toApplied(row: Row): SubmissionOutcome {
  return {
    kind: 'applied',
    score: row.score as number,
    previousScore: (row.before as number | null) ?? null,
    improved: row.improved as boolean,
    lastUpdatedMs: row.last_updated_ms as number,
    version: row.version as number,
    username: (row.username as string | null) ?? null,
  };
}
