import { ratioTo, sampleResources, startProduction, type BenchContext, type ScenarioRow } from '../lib/context.js';
import { assertAllOk, runLoad, unansweredNote } from '../lib/load.js';

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
    const row: ScenarioRow = {
      scenario: 'ceiling',
      id: 'ceiling',
      label: 'ceiling: GET /health/live',
      unit: 'req/s',
      throughput: result.rate,
      operations: result.ok,
      latency: result.latency,
      peakRss: resources.peakRss,
      ratio: ratioTo(ctx, result.rate),
      resources,
      notes: [unansweredNote(result)].filter((note): note is string => note !== null),
      details: { responses: result.responses, byStatus: result.byStatus, seconds: result.seconds },
    };
    return { rows: [row], details: { serverStartMs: server.startMs } };
  } finally {
    await server.stop();
  }
}
