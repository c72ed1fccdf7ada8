import { httpRow, sampleResources, startProduction, type BenchContext } from '../lib/context.js';
import { assertAllOk, runLoad } from '../lib/load.js';

export const CONNECTIONS = 64;

/** GET /health/live on the same production server: what the framework and machine allow at all. */
export async function ceiling(ctx: BenchContext) {
  const server = await startProduction(ctx);
  try {
    ctx.log(`server pid ${server.pid} ready in ${server.startMs.toFixed(0)} ms; warming up`);
    await runLoad({ url: server.url, path: '/health/live', connections: 16, durationSec: 1 });
    ctx.log(`GET /health/live, ${CONNECTIONS} connections, ${ctx.durationSec} s`);
    const sampler = await sampleResources(ctx, server.pid);
    const result = await runLoad({ url: server.url, path: '/health/live', connections: CONNECTIONS, durationSec: ctx.durationSec });
    const resources = await sampler.stop();
    assertAllOk('ceiling', result);
    ctx.ceilingRate = result.rate;
    const row = httpRow(ctx, { scenario: 'ceiling', id: 'ceiling', label: 'ceiling: GET /health/live' }, result, resources);
    return { rows: [row], details: { serverStartMs: server.startMs } };
  } finally {
    await server.stop();
  }
}
