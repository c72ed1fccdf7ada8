import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrate, readMigrations } from '../../src/db/migrations.js';
import { PgSqlClient } from '../../src/db/sql-client-pg.js';
import { createTestDatabase, SKIP_POSTGRES } from '../helpers/services.js';

describe('migrations on PostgreSQL', { skip: SKIP_POSTGRES }, () => {
  it('instances starting together on a fresh database migrate it once, none of them failing', async () => {
    for (let round = 0; round < 3; round++) {
      const database = await createTestDatabase();
      const clients = Array.from({ length: 4 }, () => new PgSqlClient({ url: database.url, poolSize: 2 }));
      try {
        const applied = await Promise.all(clients.map((client) => migrate(client)));
        // Each migration applied by exactly one of them.
        const versions = readMigrations().map((migration) => migration.version);
        assert.deepEqual(applied.flat().sort(), versions);
        const [row] = await clients[0]!.query('SELECT count(*)::bigint AS n FROM schema_migrations');
        assert.equal(row?.n, versions.length);
      } finally {
        await Promise.all(clients.map((client) => client.close()));
        await database.cleanup();
      }
    }
  });
});
