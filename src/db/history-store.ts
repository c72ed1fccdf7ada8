import type { Row, SqlClient } from './sql-client.js';

export interface HistoryEntry {
  id: number;
  actionId: string;
  actionType: string;
  scoreIncrement: number;
  /** Null for a direct submission that made the player's first entry in its period. */
  scoreBefore: number | null;
  scoreAfter: number;
  /** For a direct submission: its board and period, and the score sent (null for score updates). */
  boardId: string | null;
  periodId: string | null;
  submittedScore: number | null;
  /** The game-server key that sent it (`Authorization: ApiKey`); null for a signed client request. */
  apiKeyId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: Date;
}

/** A page of rows after `afterId` up to `upToId` (keyset by id), for the export. */
export interface ExportPage {
  afterId: number;
  upToId: number;
  limit: number;
}

/** The audit trail in SQL (`score_history`), as players and admins read it. */
export class HistoryStore {
  constructor(private readonly sql: SqlClient) {}

  /** The user's audit trail, newest first; `beforeId` continues from an earlier page. */
  async history(userId: string, limit: number, beforeId: number | null): Promise<HistoryEntry[]> {
    const rows = await this.sql.query(
      `SELECT id, action_id, action_type, score_increment, score_before, score_after,
              host(ip_address) AS ip_address, user_agent, created_at, board_id, period_id, submitted_score, api_key_id
       FROM score_history WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
       ORDER BY id DESC LIMIT $3`,
      [userId, beforeId, limit],
    );
    return rows.map((row) => ({
      id: row.id as number,
      actionId: row.action_id as string,
      actionType: row.action_type as string,
      scoreIncrement: row.score_increment as number,
      scoreBefore: (row.score_before as number | null) ?? null,
      scoreAfter: row.score_after as number,
      boardId: (row.board_id as string | null) ?? null,
      periodId: (row.period_id as string | null) ?? null,
      submittedScore: (row.submitted_score as number | null) ?? null,
      apiKeyId: (row.api_key_id as string | null) ?? null,
      ipAddress: (row.ip_address as string | null) ?? null,
      userAgent: (row.user_agent as string | null) ?? null,
      createdAt: row.created_at as Date,
    }));
  }

  /** The user's last history id (0 for none): an export ends there. */
  async lastId(userId: string): Promise<number> {
    const [row] = await this.sql.query('SELECT max(id) AS id FROM score_history WHERE user_id = $1', [userId]);
    return (row?.id as number | null) ?? 0;
  }

  /** A page of a user's history for their export: ids after `afterId` up to `upToId`, in id order. */
  async exportPage(userId: string, page: ExportPage): Promise<(Row & { id: number })[]> {
    return this.sql.query<Row & { id: number }>(
      `SELECT id, action_id, action_type, score_increment, score_before, score_after, host(ip_address) AS ip_address,
              user_agent, created_at, board_id, period_id, submitted_score, api_key_id
       FROM score_history WHERE user_id = $1 AND id > $2 AND id <= $3 ORDER BY id LIMIT $4`,
      [userId, page.afterId, page.upToId, page.limit],
      { name: 'export-history-page' },
    );
  }
}
