import { join } from 'node:path';
import { PgliteSqlClient } from '../../src/db/sql-client-pglite.js';
import { commonEnv, type BenchContext } from '../lib/context.js';
import { startServer } from '../lib/server.js';
import { DURABILITY_SQL, checkDurability, driveUpdates, updateRow, uuidArray, type UpdateRun } from './updates.js';

/** The update scenario against the embedded mode: PGlite in the server process, no Redis. */
export async function embedded(ctx: BenchContext) {
  const dataDir = join(ctx.tmpDir, 'embedded');
  const server = await startServer({ ...commonEnv(ctx), DATA_DIR: dataDir });
  let run: UpdateRun;
  try {
    ctx.log(`embedded server pid ${server.pid} ready in ${server.startMs.toFixed(0)} ms (DATA_DIR ${dataDir})`);
    run = await driveUpdates(ctx, server, 'embedded', false);
  } finally {
    await server.stop();
  }
  // The server is gone, so its PGlite directory can be opened here to count what it stored.
  const sql = await PgliteSqlClient.open({ dataDir: join(dataDir, 'pglite') });
  let durability: { rows: number; found: number };
  try {
    const [row] = await sql.query(DURABILITY_SQL, [uuidArray(run.okActionIds)]);
    durability = { rows: Number(row?.rows), found: Number(row?.found) };
  } finally {
    await sql.close();
  }
  const note = checkDurability('embedded', run, durability);
  const row = updateRow(ctx, 'embedded', 'embedded: POST /scores/update (PGlite, no Redis)', run, note);
  row.notes.push('the server RSS includes the PGlite database engine (WASM) and the in-process rank index and caches');
  return { rows: [row], details: { serverStartMs: server.startMs, durability } };
}
