import { WriteQueueTimeoutError } from './group-commit.js';

/** A row as the database returns it, with BIGINT already turned into a JS number. */
export type Row = Record<string, unknown>;

export interface QueryOptions {
  /**
   * A stable name for a hot statement: PostgreSQL prepares it once per connection.
   * Ignored where the client has nothing to prepare.
   */
  name?: string;
}

/** Runs SQL; what a transaction callback receives. */
export interface SqlExecutor {
  query<R extends Row = Row>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<R[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/**
 * The one seam between the store and a database: PostgreSQL through a `pg` pool
 * (`sql-client-pg.ts`) or PGlite in process (`sql-client-pglite.ts`). Both return BIGINT
 * columns as numbers (every BIGINT here is bounded to 2^53 by the schema) and timestamps as Dates.
 */
export interface SqlClient extends SqlExecutor {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction; rolls back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** PostgreSQL's SQLSTATE of an error from either client, if it has one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

/**
 * True when the database could not be reached or went away: the caller may retry later. A statement
 * cut off by a read timeout may still have committed, so retries must be idempotent (an action id
 * is applied at most once).
 */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof WriteQueueTimeoutError) return true;
  const state = sqlState(error);
  // 08: connection exception; 57P01..57P03: admin shutdown, crash shutdown, cannot connect now.
  if (state) return state.startsWith('08') || ['57P01', '57P02', '57P03'].includes(state);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED|Query read timeout/i.test(message);
}
