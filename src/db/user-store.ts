import type { Row, SqlClient } from './sql-client.js';

export interface UserProfile {
  id: string;
  username: string | null;
  email: string | null;
}

/**
 * Creates the users of `source` (rows id, username, email; distinct ids) in id order, or refreshes
 * their name and e-mail from newer claims, never erasing them with missing ones.
 */
export const upsertUsers = (source: string) => `INSERT INTO users AS u (id, username, email)
  SELECT s.id, s.username, s.email FROM (${source}) s ORDER BY s.id
  ON CONFLICT (id) DO UPDATE SET
    username = COALESCE(EXCLUDED.username, u.username),
    email = COALESCE(EXCLUDED.email, u.email),
    updated_at = now()
  WHERE (EXCLUDED.username IS NOT NULL AND u.username IS DISTINCT FROM EXCLUDED.username)
     OR (EXCLUDED.email IS NOT NULL AND u.email IS DISTINCT FROM EXCLUDED.email)`;

/** Creates or refreshes many users in one statement. */
const ENSURE_USERS_SQL = upsertUsers('SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(id text, username text, email text)');

/** Users in SQL: created on first sight from their token's claims, frozen, hidden, erased. */
export class UserStore {
  constructor(private readonly sql: SqlClient) {}

  /** Creates the user on first sight, or refreshes their name and email from newer claims. */
  async ensureUser(profile: UserProfile): Promise<void> {
    await this.ensureUsers([profile]);
  }

  /** ensureUser for many distinct users in one statement. */
  async ensureUsers(profiles: readonly UserProfile[]): Promise<void> {
    await this.sql.query(ENSURE_USERS_SQL, [JSON.stringify(profiles)], { name: 'ensure_users' });
  }

  /** Freezes or unfreezes an account; false when the user is unknown. */
  async setStatus(userId: string, status: 'active' | 'frozen', reason: string | null): Promise<boolean> {
    const rows = await this.sql.query(
      `UPDATE users SET status = $2, frozen_reason = $3, updated_at = now() WHERE id = $1 RETURNING id`,
      [userId, status, status === 'frozen' ? reason : null],
    );
    return rows.length > 0;
  }

  /** Takes a player off every board (reads, ranks, live updates) or brings them back; false when unknown. */
  async setHidden(userId: string, hidden: boolean): Promise<boolean> {
    const rows = await this.sql.query(`UPDATE users SET hidden = $2, updated_at = now() WHERE id = $1 RETURNING id`, [userId, hidden]);
    return rows.length > 0;
  }

  /** The user's row as their export shows it, or null for an unknown user. */
  async userRow(userId: string): Promise<Row | null> {
    const [row] = await this.sql.query(
      `SELECT id, username, email, status, frozen_reason, hidden, created_at, updated_at FROM users WHERE id = $1`,
      [userId],
    );
    return row ?? null;
  }

  /** Erases the user, their score, history and flags (right to erasure); false when unknown. */
  async eraseUser(userId: string): Promise<boolean> {
    const rows = await this.sql.query(`DELETE FROM users WHERE id = $1 RETURNING id`, [userId]);
    return rows.length > 0;
  }
}
