import pg from 'pg';
import { isConnectionError, type QueryOptions, type Row, type SqlClient, type SqlExecutor } from './sql-client.js';

const INT8_OID = 20;

export interface PgSqlClientOptions {
  url: string;
  poolSize: number;
  /** @default 3000 */
  connectTimeoutMs?: number;
  /** Server-side limit on one statement. @default 10000 */
  statementTimeoutMs?: number;
  onError?: (error: Error) => void;
}

// BIGINT as number: every BIGINT column is bounded to 2^53 by a CHECK in the schema.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

function toQuery(text: string, params: readonly unknown[] | undefined, options: QueryOptions | undefined): pg.QueryConfig {
  return { text, values: params as unknown[] | undefined, name: options?.name };
}

/** PostgreSQL through a `pg` pool. */
export class PgSqlClient implements SqlClient {
  readonly kind = 'postgres';
  readonly pool: pg.Pool;

  constructor(options: PgSqlClientOptions) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 3000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      // A client-side bound too, so a vanished server cannot hang a request.
      query_timeout: (options.statementTimeoutMs ?? 10_000) + 2000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      types,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.pool.on('error', (error) => options.onError?.(error));
  }

  async query<R extends Row = Row>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<R[]> {
    const result = await this.pool.query<R>(toQuery(text, params, options));
    return result.rows;
  }

  async exec(script: string): Promise<void> {
    await this.pool.query(script);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const executor: SqlExecutor = {
        async query<R extends Row = Row>(text: string, params?: readonly unknown[], options?: QueryOptions) {
          return (await client.query<R>(toQuery(text, params, options))).rows;
        },
        async exec(script: string) {
          await client.query(script);
        },
      };
      const result = await fn(executor);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (isConnectionError(error)) {
        // A connection that failed or timed out cannot roll back: a ROLLBACK would queue behind the
        // unanswered statement and wait out the read timeout again (24 s instead of 12 on a silent
        // server). Dropping the connection makes the server roll the transaction back.
        broken = error instanceof Error ? error : new Error(String(error));
      } else {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
