export { isConnectionError, sqlState } from '../sql-errors.js';

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

