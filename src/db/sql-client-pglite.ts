import { mkdirSync } from 'node:fs';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import type { QueryOptions, Row, SqlClient, SqlExecutor } from './sql-client.js';

export interface PgliteSqlClientOptions {
  /** A directory to keep the database in, or `memory://` to keep nothing. */
  dataDir: string;
}

// BIGINT as number, as with `pg`: every BIGINT column is bounded to 2^53 by the schema.
const parsers = { [pgliteTypes.INT8]: (value: string) => Number(value) };

/** PostgreSQL compiled to WASM, in process: one connection, queries run one at a time. */
export class PgliteSqlClient implements SqlClient {
  readonly kind = 'pglite';
  private constructor(private readonly db: PGlite) {}

  static async open(options: PgliteSqlClientOptions): Promise<PgliteSqlClient> {
    const inMemory = options.dataDir.startsWith('memory://');
    if (!inMemory) mkdirSync(options.dataDir, { recursive: true });
    const db = await PGlite.create(inMemory ? undefined : options.dataDir, { parsers });
    return new PgliteSqlClient(db);
  }

  async query<R extends Row = Row>(text: string, params?: readonly unknown[], _options?: QueryOptions): Promise<R[]> {
    const result = await this.db.query<R>(text, params as unknown[] | undefined);
    return result.rows;
  }

  async exec(script: string): Promise<void> {
    await this.db.exec(script);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) =>
      fn({
        async query<R extends Row = Row>(text: string, params?: readonly unknown[]) {
          return (await tx.query<R>(text, params as unknown[] | undefined)).rows;
        },
        async exec(script: string) {
          await tx.exec(script);
        },
      }),
    );
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
