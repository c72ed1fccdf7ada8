import { httpRow, sampleResources, startProduction, type BenchContext } from '../lib/context.js';
import { countRows } from '../lib/infra.js';
import { assertAllOk, runLoad } from '../lib/load.js';
import { seedPlayers } from '../lib/seed.js';
import { CONNECTIONS } from './ceiling.js';

const BOARD_SIZE = 100_000;
const PATH = '/api/v1/scores/leaderboard?limit=10';

/** GET /api/v1/scores/leaderboard?limit=10 with at least 100,000 players on the board. */
export async function reads(ctx: BenchContext) {
  const already = await countRows(ctx.dbName, 'scores');
  let seedMs: number | null = null;
  if (already < BOARD_SIZE) {
    seedMs = await seedPlayers(ctx.dbName, 's', BOARD_SIZE);
    ctx.log(`seeded ${BOARD_SIZE.toLocaleString('en-US')} players in PostgreSQL in ${seedMs.toFixed(0)} ms`);
  }
  const players = await countRows(ctx.dbName, 'scores');
  // The server rebuilds the Redis rank index from PostgreSQL as it starts.
  const server = await startProduction(ctx);
  try {
    ctx.log(`server pid ${server.pid} ready in ${server.startMs.toFixed(0)} ms (start-up rebuilt the rank index of ${players.toLocaleString('en-US')} players)`);
    await runLoad({ url: server.url, path: PATH, connections: 16, durationSec: 1 });
    ctx.log(`GET ${PATH}, ${CONNECTIONS} connections, ${ctx.durationSec} s`);
    const sampler = await sampleResources(ctx, server.pid);
    const result = await runLoad({ url: server.url, path: PATH, connections: CONNECTIONS, durationSec: ctx.durationSec });
    const resources = await sampler.stop();
    assertAllOk('reads', result);
    const row = httpRow(
      ctx,
      {
        scenario: 'reads',
        id: 'reads',
        label: 'reads: GET /scores/leaderboard?limit=10',
        notes: [`board of ${players.toLocaleString('en-US')} players; no If-None-Match sent, so every answer is a full 200 body`],
        details: { players },
      },
      result,
      resources,
    );
    return { rows: [row], details: { serverStartMs: server.startMs, seedMs, players } };
  } finally {
    await server.stop();
  }
}
