import { isIP } from 'node:net';
import { isActionId, type AppliedAction } from '../action-id.js';
import type { FedBoard, WrittenEntry } from '../boards/board-repository.js';
import { isUserId } from '../user-id.js';
export type { FedBoard, WrittenEntry };
import type { BatchResult } from '../group-commit.js';
import { upsertUsers, type UserProfile } from './user-store.js';
import type { Row, SqlClient } from './sql-client.js';
import { isConnectionError, sqlState } from './sql-client.js';

export interface ScoreUpdate {
  userId: string;
  /** When set, the user is created (or their claims refreshed) by the same statement first. */
  user?: UserProfile | null;
  actionId: string;
  /** Canonical (upper-case) action type. */
  actionType: string;
  increment: number;
  /** Least milliseconds since this user's last accepted update of this type; 0 for none. */
  minDurationMs: number;
  ipAddress: string | null;
  userAgent: string | null;
  /** The game-server key that sent the update, for the history row; null for a signed client update. */
  apiKeyId?: string | null;
  /** The boards besides `global` whose current period this update feeds (its action type is theirs, they are open). */
  boards?: readonly FedBoard[];
}

export interface AppliedUpdate {
  kind: 'applied';
  newScore: number;
  previousScore: number;
  lastUpdatedMs: number;
  /** The user's total actions after this one: the version of their rank entry. */
  totalActions: number;
  username: string | null;
  /** The entries written on the boards of `ScoreUpdate.boards` (global's is the scores row itself). */
  boards: WrittenEntry[];
}

export type { AppliedAction };

export type RejectedUpdate =
  | { kind: 'duplicate'; original: AppliedAction | null }
  | { kind: 'frozen' }
  | { kind: 'too-fast'; retryAfterMs: number }
  | { kind: 'unknown-user' }
  | { kind: 'score-overflow' }
  /** Refused before any SQL: a field no statement could store (never sent by the service, whose schemas refuse it). */
  | { kind: 'invalid'; field: string };

export type UpdateOutcome = AppliedUpdate | RejectedUpdate;

export interface UserScore {
  userId: string;
  username: string | null;
  email: string | null;
  status: 'active' | 'frozen';
  frozenReason: string | null;
  score: number;
  /** Null for a user who never scored. */
  lastUpdatedMs: number | null;
  totalActions: number;
  firstAction: Date | null;
  lastAction: Date | null;
  version: number;
}

/** The largest score (2^53 - 1): every rank index holds it exactly; the schema's CHECK says the same. */
const MAX_SCORE = Number.MAX_SAFE_INTEGER;

const UNIQUE_VIOLATION = '23505';
const CHECK_VIOLATION = '23514';
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Updates of distinct users, one statement (one update is a batch of one). For each row, under the
 * score row's lock, it checks the account is active and the action's minDuration has passed, adds
 * the increment and inserts the history row, whose unique action_id makes a replay fail the whole
 * statement. Rows are written in user id order, so concurrent batches lock in one order and cannot
 * deadlock each other; users seen for the first time are created (or their names refreshed from newer
 * claims) first, and are visible to the rows below through RETURNING. On an existing row the time is
 * read inside DO UPDATE, after the lock is held, so an update that waited for the lock is stamped with
 * when it was applied (ties go to whoever really reached a score first) and minDuration sees the same
 * clock. The batch is a JSON array ($1); $2 maps each action type to its minDuration; in DO UPDATE the
 * row's action type is the one key of EXCLUDED.action_last_at. A row not applied (frozen, too fast,
 * replayed, unknown user) is left out of the result and classified after. Action ids already in the
 * history are left out up front, so a replay does not fail a batch; one racing in from elsewhere still
 * does, and the caller then runs one statement per update.
 */
const APPLY_UPDATES_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS i(user_id text, inc bigint, type text, action_id uuid, ip inet, ua text, username text, email text, provision boolean, boards jsonb, api_key text)
), provisioned AS (
  ${upsertUsers('SELECT i.user_id AS id, i.username, i.email FROM input i WHERE i.provision')}
  RETURNING u.id, u.username, u.status
), eligible AS (
  SELECT i.*, COALESCE(p.username, u.username) AS known_name
  FROM input i
  -- One index lookup per row, here and for the replay check below: as joins, the planner (which
  -- guesses 100 input rows) scans the whole users or score_history table while it is small enough.
  LEFT JOIN LATERAL (SELECT u.username, u.status FROM users u WHERE u.id = i.user_id LIMIT 1) u ON true
  LEFT JOIN provisioned p ON p.id = i.user_id
  WHERE COALESCE(p.status, u.status) = 'active'
    AND (SELECT 1 FROM score_history h WHERE h.action_id = i.action_id LIMIT 1) IS NULL
    -- A row that would pass the largest score is left out (and classified after), not allowed to
    -- fail the whole statement on the CHECK.
    AND COALESCE((SELECT sc.score FROM scores sc WHERE sc.user_id = i.user_id), 0) + i.inc <= ${MAX_SCORE}
), upd AS (
  INSERT INTO scores AS s (user_id, score, last_updated, total_actions, first_action, last_action, action_last_at)
  SELECT e.user_id, e.inc, n.t, 1, n.t, n.t, jsonb_build_object(e.type, (extract(epoch FROM n.t) * 1000)::bigint)
  FROM eligible e CROSS JOIN LATERAL (SELECT date_trunc('milliseconds', clock_timestamp()) AS t) n
  ORDER BY e.user_id
  ON CONFLICT (user_id) DO UPDATE SET
    score = s.score + EXCLUDED.score,
    last_updated = GREATEST(s.last_updated, date_trunc('milliseconds', clock_timestamp())),
    total_actions = s.total_actions + 1,
    first_action = COALESCE(s.first_action, EXCLUDED.first_action),
    last_action = GREATEST(s.last_action, date_trunc('milliseconds', clock_timestamp())),
    action_last_at = s.action_last_at || jsonb_build_object(
      (SELECT jsonb_object_keys(EXCLUDED.action_last_at) LIMIT 1), (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
  WHERE COALESCE(($2::jsonb ->> (SELECT jsonb_object_keys(EXCLUDED.action_last_at) LIMIT 1))::bigint, 0) <= 0
     OR NOT (s.action_last_at ? (SELECT jsonb_object_keys(EXCLUDED.action_last_at) LIMIT 1))
     OR (extract(epoch FROM clock_timestamp()) * 1000)::bigint
          - (s.action_last_at ->> (SELECT jsonb_object_keys(EXCLUDED.action_last_at) LIMIT 1))::bigint
        >= COALESCE(($2::jsonb ->> (SELECT jsonb_object_keys(EXCLUDED.action_last_at) LIMIT 1))::bigint, 0)
  RETURNING s.user_id, s.score, s.last_updated, s.total_actions
), hist AS (
  INSERT INTO score_history (user_id, action_id, action_type, score_increment, score_before, score_after, ip_address, user_agent, created_at, api_key_id)
  SELECT e.user_id, e.action_id, e.type, e.inc, upd.score - e.inc, upd.score, e.ip, e.ua, upd.last_updated, e.api_key
  FROM upd JOIN eligible e ON e.user_id = upd.user_id
), global_entry AS (
  -- The global board's entry is the scores row itself, mirrored: the same score, time and version.
  INSERT INTO board_entries AS be (board_id, period_id, user_id, score, order_score, last_updated, version)
  SELECT 'global', 'all', upd.user_id, upd.score, -upd.score, upd.last_updated, upd.total_actions FROM upd ORDER BY upd.user_id
  ON CONFLICT (board_id, period_id, user_id) DO UPDATE SET
    score = EXCLUDED.score, order_score = EXCLUDED.order_score, last_updated = EXCLUDED.last_updated, version = EXCLUDED.version
), fed AS (
  SELECT e.user_id, e.inc, f.b AS board_id, f.p AS period_id, f.d AS is_desc
  FROM upd JOIN eligible e ON e.user_id = upd.user_id
  CROSS JOIN LATERAL jsonb_to_recordset(COALESCE(e.boards, '[]'::jsonb)) AS f(b text, p text, d boolean)
), board_entry AS (
  -- Every other board the action feeds: its current period's entry grows by the increment.
  INSERT INTO board_entries AS be (board_id, period_id, user_id, score, order_score, last_updated, version)
  SELECT f.board_id, f.period_id, f.user_id, f.inc, CASE WHEN f.is_desc THEN -f.inc ELSE f.inc END,
         date_trunc('milliseconds', clock_timestamp()), 1
  FROM fed f ORDER BY f.board_id, f.period_id, f.user_id
  ON CONFLICT (board_id, period_id, user_id) DO UPDATE SET
    score = be.score + EXCLUDED.score,
    order_score = be.order_score + EXCLUDED.order_score,
    last_updated = date_trunc('milliseconds', clock_timestamp()),
    version = be.version + 1
  RETURNING be.board_id, be.period_id, be.user_id, be.score, be.last_updated, be.version
)
SELECT upd.user_id,
       (SELECT jsonb_agg(jsonb_build_object('b', w.board_id, 'p', w.period_id, 's', w.score,
                                            't', (extract(epoch FROM w.last_updated) * 1000)::bigint, 'v', w.version))
        FROM board_entry w WHERE w.user_id = upd.user_id) AS boards,
       upd.score AS new_score,
       upd.score - e.inc AS previous_score,
       (extract(epoch FROM upd.last_updated) * 1000)::bigint AS last_updated_ms,
       upd.total_actions,
       e.known_name AS username
FROM upd JOIN eligible e ON e.user_id = upd.user_id`;

const CLASSIFY_REJECTION_SQL = `
SELECT (SELECT status FROM users WHERE id = $1) AS status,
       (SELECT score FROM scores WHERE user_id = $1) AS score,
       (SELECT (action_last_at ->> $3::text)::bigint FROM scores WHERE user_id = $1) AS last_at_ms,
       (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms,
       h.user_id AS original_user_id, h.score_after AS original_score,
       (extract(epoch FROM h.created_at) * 1000)::bigint AS original_at_ms
FROM (SELECT 1) one LEFT JOIN score_history h ON h.action_id = $2::uuid`;

function toApplied(row: Row): AppliedUpdate {
  return {
    kind: 'applied',
    newScore: row.new_score as number,
    previousScore: row.previous_score as number,
    lastUpdatedMs: row.last_updated_ms as number,
    totalActions: row.total_actions as number,
    username: (row.username as string | null) ?? null,
    boards: writtenEntries(row.boards),
  };
}

/** The statement's JSON list of written board entries (a string from PGlite, parsed from `pg`). */
function writtenEntries(raw: unknown): WrittenEntry[] {
  const list = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ b: string; p: string; s: number; t: number; v: number }> | null;
  return (list ?? []).map((entry) => ({ boardId: entry.b, periodId: entry.p, score: Number(entry.s), lastUpdatedMs: Number(entry.t), version: Number(entry.v) }));
}

/** The field of an update that no statement could store, if any. */
function invalidField(update: ScoreUpdate): string | null {
  if (!isActionId(update.actionId)) return 'actionId';
  if (!isUserId(update.userId)) return 'userId';
  if (!Number.isSafeInteger(update.increment) || update.increment < 1) return 'increment';
  if (update.ipAddress !== null && isIP(update.ipAddress) === 0) return 'ipAddress';
  return null;
}

function oneMinDurationPerType(updates: readonly ScoreUpdate[]): boolean {
  const types = new Map<string, number>();
  for (const update of updates) {
    if ((types.get(update.actionType) ?? update.minDurationMs) !== update.minDurationMs) return false;
    types.set(update.actionType, update.minDurationMs);
  }
  return true;
}

/** Text as PostgreSQL can hold it: no NUL, no lone surrogate (which JSON would carry and jsonb refuse). */
function storableText(text: string | null): string | null {
  return text === null ? null : text.replace(/\u0000/g, '').replace(/\p{Cs}/gu, '\uFFFD');
}

async function settle<T>(promise: Promise<T>): Promise<BatchResult<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Everything the service keeps in SQL, over either SQL client. PostgreSQL is the truth: caches
 * are filled from here and can always be rebuilt from here.
 */
export class ScoreStore {
  constructor(private readonly sql: SqlClient) {}

  /**
   * Applies one update atomically, or says why it was not applied. Connection failures are thrown
   * (after a timeout the outcome is unknown; a retry with the same action id is safe); every other
   * refusal is an outcome.
   */
  async applyUpdate(update: ScoreUpdate): Promise<UpdateOutcome> {
    let rows: Row[];
    try {
      rows = await this.runBatch([update]);
    } catch (error) {
      const state = sqlState(error);
      if (state === UNIQUE_VIOLATION) return { kind: 'duplicate', original: await this.findAction(update.actionId) };
      if (state === CHECK_VIOLATION) return { kind: 'score-overflow' };
      if (state === FOREIGN_KEY_VIOLATION) return { kind: 'unknown-user' };
      throw error;
    }
    const row = rows[0];
    return row ? toApplied(row) : this.classifyRejection(update);
  }

  /**
   * Applies updates of distinct users (and distinct action ids) in one statement and one commit
   * (group commit), answering each as applyUpdate would. A connection failure fails them all (the
   * outcome is unknown, as for one update). No single row may change how the others are written:
   * rows no statement could store are answered `invalid` up front, rows that would overflow are left
   * out by the statement itself, and any other error of the statement (a replay racing in from
   * another instance, a deadlock with one, a row the database refuses) splits the batch in halves,
   * each written as a batch again, so k bad rows cost about 2k·log2(n) extra statements, not n.
   */
  async applyUpdates(updates: readonly ScoreUpdate[]): Promise<Array<BatchResult<UpdateOutcome>>> {
    const results: Array<BatchResult<UpdateOutcome>> = new Array(updates.length);
    const valid: number[] = [];
    updates.forEach((update, i) => {
      const field = invalidField(update);
      if (field) results[i] = { ok: true, value: { kind: 'invalid', field } };
      else valid.push(i);
    });
    const outcomes = await this.applyValid(valid.map((i) => updates[i]!));
    valid.forEach((i, k) => {
      results[i] = outcomes[k]!;
    });
    return results;
  }

  private async applyValid(updates: readonly ScoreUpdate[]): Promise<Array<BatchResult<UpdateOutcome>>> {
    if (updates.length === 0) return [];
    if (updates.length === 1) return [await settle(this.applyUpdate(updates[0]!))];
    // One type with two minDurations (never from one catalogue): no single map fits the batch.
    if (!oneMinDurationPerType(updates)) return this.applyHalves(updates);
    let rows: Row[];
    try {
      rows = await this.runBatch(updates);
    } catch (error) {
      if (sqlState(error) === undefined || isConnectionError(error)) throw error;
      return this.applyHalves(updates);
    }
    const applied = new Map<string, Row>();
    for (const row of rows) applied.set(row.user_id as string, row);
    return Promise.all(
      updates.map((update) => {
        const row = applied.get(update.userId);
        return row ? { ok: true as const, value: toApplied(row) } : settle(this.classifyRejection(update));
      }),
    );
  }

  /** The first half, then the second (so of two sharing an action id, the earlier one wins). */
  private async applyHalves(updates: readonly ScoreUpdate[]): Promise<Array<BatchResult<UpdateOutcome>>> {
    const middle = Math.ceil(updates.length / 2);
    const first = await this.applyValid(updates.slice(0, middle));
    return [...first, ...(await this.applyValid(updates.slice(middle)))];
  }

  /** Runs APPLY_UPDATES_SQL for `updates` (distinct users; one minDuration per action type). */
  private runBatch(updates: readonly ScoreUpdate[]): Promise<Row[]> {
    const minDurationMs: Record<string, number> = {};
    for (const update of updates) minDurationMs[update.actionType] = update.minDurationMs;
    const input = updates.map((update) => ({
      user_id: update.userId,
      inc: update.increment,
      type: update.actionType,
      action_id: update.actionId,
      ip: update.ipAddress,
      ua: storableText(update.userAgent),
      username: storableText(update.user?.username ?? null),
      email: storableText(update.user?.email ?? null),
      provision: Boolean(update.user),
      api_key: update.apiKeyId ?? null,
      boards: (update.boards ?? []).map((board) => ({ b: board.boardId, p: board.periodId, d: board.sortOrder === 'desc' })),
    }));
    return this.sql.query(APPLY_UPDATES_SQL, [JSON.stringify(input), JSON.stringify(minDurationMs)], { name: 'apply_updates' });
  }

  private async classifyRejection(update: ScoreUpdate): Promise<RejectedUpdate> {
    const [row] = await this.sql.query(CLASSIFY_REJECTION_SQL, [update.userId, update.actionId, update.actionType], { name: 'classify_rejection' });
    if (!row) throw new Error('classification query returned no row');
    if (row.original_user_id !== null) {
      return {
        kind: 'duplicate',
        original: {
          userId: row.original_user_id as string,
          newScore: row.original_score as number,
          appliedAtMs: row.original_at_ms as number,
        },
      };
    }
    if (row.status === null) return { kind: 'unknown-user' };
    if (row.status === 'frozen') return { kind: 'frozen' };
    if (((row.score as number | null) ?? 0) + update.increment > MAX_SCORE) return { kind: 'score-overflow' };
    const lastAtMs = (row.last_at_ms as number | null) ?? 0;
    const retryAfterMs = Math.max(1, lastAtMs + update.minDurationMs - (row.now_ms as number));
    return { kind: 'too-fast', retryAfterMs };
  }

  /** The applied update that carried `actionId`, if any. */
  async findAction(actionId: string): Promise<AppliedAction | null> {
    const [row] = await this.sql.query(
      `SELECT user_id, score_after, (extract(epoch FROM created_at) * 1000)::bigint AS at_ms
       FROM score_history WHERE action_id = $1::uuid`,
      [actionId],
    );
    return row ? { userId: row.user_id as string, newScore: row.score_after as number, appliedAtMs: row.at_ms as number } : null;
  }

  /** The user's scores row as their export shows it, or null when they never scored. */
  async scoreRow(userId: string): Promise<Row | null> {
    const [row] = await this.sql.query(
      `SELECT score, last_updated, total_actions, first_action, last_action, action_last_at FROM scores WHERE user_id = $1`,
      [userId],
    );
    return row ?? null;
  }

  /** The user's score and totals (score 0 for a user who never scored), or null for an unknown user. */
  async getUserScore(userId: string): Promise<UserScore | null> {
    const [row] = await this.sql.query(
      `SELECT u.id, u.username, u.email, u.status, u.frozen_reason,
              COALESCE(s.score, 0) AS score,
              (extract(epoch FROM s.last_updated) * 1000)::bigint AS last_updated_ms,
              COALESCE(s.total_actions, 0) AS total_actions, s.first_action, s.last_action
       FROM users u LEFT JOIN scores s ON s.user_id = u.id WHERE u.id = $1`,
      [userId],
      { name: 'get_user_score' },
    );
    if (!row) return null;
    return {
      userId: row.id as string,
      username: (row.username as string | null) ?? null,
      email: (row.email as string | null) ?? null,
      status: row.status as 'active' | 'frozen',
      frozenReason: (row.frozen_reason as string | null) ?? null,
      score: row.score as number,
      lastUpdatedMs: (row.last_updated_ms as number | null) ?? null,
      totalActions: row.total_actions as number,
      firstAction: (row.first_action as Date | null) ?? null,
      lastAction: (row.last_action as Date | null) ?? null,
      version: row.total_actions as number,
    };
  }
}
