import type { Row, SqlClient } from './sql-client.js';
import type { ExportPage } from './history-store.js';

export interface SuspiciousActivity {
  id: number;
  userId: string;
  reason: string;
  details: Record<string, unknown>;
  createdAt: Date;
  username?: string | null;
  status?: string;
  /** From `users.hidden`, as `status` is: the player is off every board (frozen with `hide`). */
  hidden?: boolean;
}

function toSuspicious(row: Row): SuspiciousActivity {
  return {
    id: row.id as number,
    userId: row.user_id as string,
    reason: row.reason as string,
    details: (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<string, unknown>,
    createdAt: row.created_at as Date,
    ...(row.username !== undefined ? { username: row.username as string | null } : {}),
    ...(row.status !== undefined ? { status: row.status as string } : {}),
    ...(row.hidden !== undefined ? { hidden: row.hidden as boolean } : {}),
  };
}

/** The anomaly detectors' flags in SQL (`suspicious_activity`). */
export class IntegrityStore {
  constructor(private readonly sql: SqlClient) {}

  /** Records a flag; returns the stored row. */
  async recordSuspicious(userId: string, reason: string, details: Record<string, unknown>): Promise<SuspiciousActivity> {
    const [row] = await this.sql.query(
      `INSERT INTO suspicious_activity (user_id, reason, details) VALUES ($1, $2, $3::jsonb)
       RETURNING id, user_id, reason, details, created_at`,
      [userId, reason, JSON.stringify(details)],
    );
    return toSuspicious(row!);
  }

  /**
   * Flags, newest first, each with its user's username, status and hidden as they are now; optionally
   * of one user; `beforeId` continues from an earlier page.
   */
  async listSuspicious(options: { userId?: string; limit: number; beforeId?: number }): Promise<SuspiciousActivity[]> {
    const rows = await this.sql.query(
      `SELECT a.id, a.user_id, a.reason, a.details, a.created_at, u.username, u.status, u.hidden
       FROM suspicious_activity a JOIN users u ON u.id = a.user_id
       WHERE ($1::text IS NULL OR a.user_id = $1) AND ($2::bigint IS NULL OR a.id < $2::bigint)
       ORDER BY a.id DESC LIMIT $3`,
      [options.userId ?? null, options.beforeId ?? null, options.limit],
    );
    return rows.map(toSuspicious);
  }

  /** The user's last flag id (0 for none): an export ends there. */
  async lastId(userId: string): Promise<number> {
    const [row] = await this.sql.query('SELECT max(id) AS id FROM suspicious_activity WHERE user_id = $1', [userId]);
    return (row?.id as number | null) ?? 0;
  }

  /** A page of a user's flags for their export, as `HistoryStore.exportPage`. */
  async exportPage(userId: string, page: ExportPage): Promise<SuspiciousActivity[]> {
    const rows = await this.sql.query(
      `SELECT id, user_id, reason, details, created_at FROM suspicious_activity
       WHERE user_id = $1 AND id > $2 AND id <= $3 ORDER BY id LIMIT $4`,
      [userId, page.afterId, page.upToId, page.limit],
    );
    return rows.map(toSuspicious);
  }
}
