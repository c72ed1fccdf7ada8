import { PgSqlClient } from '../../src/db/sql-client-pg.js';
import { scoreStoreContract } from '../contracts/score-store-contract.js';
import { createTestDatabase, SKIP_POSTGRES } from '../helpers/services.js';

scoreStoreContract(
  'PostgreSQL',
  async () => {
    const database = await createTestDatabase();
    return { sql: new PgSqlClient({ url: database.url, poolSize: 16 }), cleanup: database.cleanup };
  },
  { skip: SKIP_POSTGRES },
);
