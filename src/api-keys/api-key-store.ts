import type { Row, SqlClient } from '../db/sql-client.js';
import { API_KEY_SCOPES, type ApiKeyRecord, type ApiKeyScope } from './api-key.js';

const COLUMNS = 'id, name, scopes, key_hash, created_at, last_used_at, revoked_at';

function toRecord(row: Row): ApiKeyRecord {
  const raw = typeof row.scopes === 'string' ? JSON.parse(row.scopes) : row.scopes;
  const scopes = (Array.isArray(raw) ? raw : []).filter((scope): scope is ApiKeyScope => (API_KEY_SCOPES as readonly unknown[]).includes(scope));
  return {
    id: row.id as string,
    name: row.name as string,
    scopes,
    keyHash: row.key_hash as string,
    createdAt: row.created_at as Date,
    lastUsedAt: (row.last_used_at as Date | null) ?? null,
    revokedAt: (row.revoked_at as Date | null) ?? null,
  };
}

/** Game-server keys in SQL (`api_keys`): created, listed, found by id, marked used, revoked. */
export class ApiKeyStore {
  constructor(private readonly sql: SqlClient) {}

  async create(key: { id: string; name: string; scopes: readonly ApiKeyScope[]; keyHash: string }): Promise<ApiKeyRecord> {
    const [row] = await this.sql.query(
      `INSERT INTO api_keys (id, name, scopes, key_hash) VALUES ($1, $2, $3::jsonb, $4) RETURNING ${COLUMNS}`,
      [key.id, key.name, JSON.stringify(key.scopes), key.keyHash],
    );
    return toRecord(row!);
  }

  /** Every key, newest first (revoked ones included: they stay in the audit trail). */
  async list(): Promise<ApiKeyRecord[]> {
    return (await this.sql.query(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at DESC, id`)).map(toRecord);
  }

  async find(id: string): Promise<ApiKeyRecord | null> {
    const [row] = await this.sql.query(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id], { name: 'api_key_find' });
    return row ? toRecord(row) : null;
  }

  /** Revokes the key (a revoked key keeps its first revocation time); null for an unknown id. */
  async revoke(id: string): Promise<ApiKeyRecord | null> {
    const [row] = await this.sql.query(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    return row ? toRecord(row) : null;
  }

  /** Marks the key used now, unless another instance did so less than `intervalSec` ago. */
  async markUsed(id: string, intervalSec: number): Promise<void> {
    await this.sql.query(
      `UPDATE api_keys SET last_used_at = now()
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2::double precision))`,
      [id, intervalSec],
      { name: 'api_key_mark_used' },
    );
  }
}
