import { PgliteSqlClient } from '../../src/db/sql-client-pglite.js';
import { scoreStoreContract } from '../contracts/score-store-contract.js';

scoreStoreContract('PGlite', async () => ({
  sql: await PgliteSqlClient.open({ dataDir: 'memory://' }),
  cleanup: async () => undefined,
}));
