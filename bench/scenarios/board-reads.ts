import { httpRow, sampleResources, startProduction, type BenchContext, type ScenarioRow } from '../lib/context.js';
import { BOARD_PLAYERS, BOARD_PREFIX, loadBoard } from '../lib/board-seed.js';
import { assertAllOk, runLoad } from '../lib/load.js';
import { adminToken, playerId } from '../lib/players.js';
import type { ServerProcess } from '../lib/server.js';
import { formatMiB } from '../lib/stats.js';
import { rolloverRow } from './board-rollover.js';
import { CONNECTIONS } from './ceiling.js';
const BOARD = 'bench-reads';
const DEPTH = 900_000;
const WALK_LIMIT = 100;
const FRIENDS = 100;
const RATIO_TARGET = 0.5;
const P99_TARGET_MS = 20;

const randomPlayer = () => playerId(BOARD_PREFIX, 1 + Math.floor(Math.random() * BOARD_PLAYERS));

interface EntriesPage {
  data: { entries: Array<{ rank: number; score: number }>; nextCursor: string | null; totalEntries: number };
}

/**
 * Pages through the board with the public API, `limit` 100, until `depth` entries are behind:
 * the cursor of the page that starts at rank depth + 1. Checks that ranks follow on and that scores
 * never rise on the way.
 */
async function walkTo(url: string, depth: number): Promise<string> {
  let cursor: string | null = null;
  let seen = 0;
  let lastScore = Number.POSITIVE_INFINITY;
  while (seen < depth) {
    const query: string = `limit=${WALK_LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await fetch(`${url}/api/v1/boards/${BOARD}/entries?${query}`);
    const page = (await response.json()) as EntriesPage;
    if (response.status !== 200) throw new Error(`board-reads: page after rank ${seen} answered ${response.status}: ${JSON.stringify(page).slice(0, 300)}`);
    for (const entry of page.data.entries) {
      seen += 1;
      if (entry.rank !== seen || entry.score > lastScore) throw new Error(`board-reads: rank ${entry.rank} (score ${entry.score}) where rank ${seen} was due (after score ${lastScore})`);
      lastScore = entry.score;
    }
    cursor = page.data.nextCursor;
    if (!cursor) throw new Error(`board-reads: the board ended after ${seen} entries`);
  }
  return cursor!;
}

interface ReadSpec {
  id: string;
  label: string;
  path: string;
  /** A path per request (a random player), or none for the fixed `path`. */
  pathOf?: () => string;
  notes: string[];
  /** A reference row with no target of its own. */
  reference?: boolean;
}

/** One autocannon measurement of a read route, as the reads scenario does it. */
async function measureRead(ctx: BenchContext, server: ServerProcess, spec: ReadSpec): Promise<ScenarioRow> {
  const load = (connections: number, durationSec: number) =>
    runLoad({
      url: server.url,
      path: spec.path,
      connections,
      durationSec,
      setupRequest: spec.pathOf
        ? (request) => {
            request.path = spec.pathOf!();
            return request;
          }
        : undefined,
    });
  assertAllOk(`${spec.id} warm-up`, await load(16, 1));
  ctx.log(`${spec.label}, ${CONNECTIONS} connections, ${ctx.durationSec} s`);
  const sampler = await sampleResources(ctx, server.pid);
  const result = await load(CONNECTIONS, ctx.durationSec);
  const resources = await sampler.stop();
  assertAllOk(spec.id, result);
  const details = spec.reference ? {} : { ratioTarget: RATIO_TARGET, p99TargetMs: P99_TARGET_MS };
  const row = httpRow(ctx, { scenario: 'board-reads', id: spec.id, label: spec.label, notes: spec.notes, details }, result, resources);
  if (spec.reference) return row;
  row.notes.unshift(`targets: ${RATIO_TARGET} of the ceiling (${row.ratio === null ? '?' : row.ratio >= RATIO_TARGET ? 'met' : 'MISSED'}), p99 ${P99_TARGET_MS} ms (${row.latency.p99 <= P99_TARGET_MS ? 'met' : 'MISSED'})`);
  return row;
}

function readSpecs(cursor: string): ReadSpec[] {
  const base = `/api/v1/boards/${BOARD}/entries`;
  const friends = () => {
    const ids = new Set<string>();
    while (ids.size < FRIENDS) ids.add(randomPlayer());
    return `${base}?${[...ids].map((id) => `userId=${id}`).join('&')}`;
  };
  return [
    {
      id: 'board-floor',
      label: 'board-reads: one board (its definition and count: one ZCARD)',
      path: `/api/v1/boards/${BOARD}`,
      notes: ['reference, no target: the cheapest read that asks the Redis index anything (one round trip of its cheapest command), so the floor of the rows below'],
      reference: true,
    },
    { id: 'board-deep-page', label: `board-reads: cursor page ${DEPTH.toLocaleString('en-US')} deep (limit 10)`, path: `${base}?limit=10&cursor=${encodeURIComponent(cursor)}`, notes: [`one real cursor, made by paging through the API (limit ${WALK_LIMIT}) to rank ${DEPTH.toLocaleString('en-US')}`] },
    { id: 'board-around', label: 'board-reads: around-me (limit 11)', path: `${base}/x/around`, pathOf: () => `${base}/${randomPlayer()}/around`, notes: ['a random player of the 1M each request'] },
    { id: 'board-entry', label: 'board-reads: one entry', path: `${base}/x`, pathOf: () => `${base}/${randomPlayer()}`, notes: ['a random player of the 1M each request'] },
    { id: 'board-friends', label: `board-reads: friends view of ${FRIENDS} ids`, path: base, pathOf: friends, notes: [`${FRIENDS} distinct random players of the 1M (repeated userId) each request`] },
  ];
}

/**
 * A board of 1,000,000 entries read over HTTP (a cursor page 900,000 deep, around-me, one entry,
 * a friends view), then the period rollover of another 1,000,000-entry board.
 */
export async function boardReads(ctx: BenchContext) {
  // No periodic rebuild of every board in the middle of the measurements (a different workload).
  const server = await startProduction(ctx, { CACHE_REFRESH_INTERVAL_MS: '0' });
  const watch = await sampleResources(ctx, server.pid, { database: false });
  const rows: ScenarioRow[] = [];
  const details: Record<string, unknown> = {};
  try {
    ctx.log(`server pid ${server.pid} ready in ${server.startMs.toFixed(0)} ms`);
    const admin = adminToken(ctx.secrets);
    const loaded = await loadBoard(ctx, server, admin, { id: BOARD, operator: 'best', sortOrder: 'desc' }, 'all');
    details.readsBoard = loaded;
    let started = performance.now();
    const cursor = await walkTo(server.url, DEPTH);
    details.walkMs = performance.now() - started;
    ctx.log(`walked to rank ${DEPTH.toLocaleString('en-US')} in ${(details.walkMs as number / 1000).toFixed(1)} s (${DEPTH / WALK_LIMIT} pages, ranks and order checked)`);
    for (const spec of readSpecs(cursor)) rows.push(await measureRead(ctx, server, spec));
    started = performance.now();
    rows.push(await rolloverRow(ctx, server, admin, { readsBoard: BOARD, loaded }, details));
    details.rolloverSeconds = (performance.now() - started) / 1000;
  } finally {
    const whole = await watch.stop();
    details.scenarioPeakRss = whole.peakRss;
    details.scenarioHwm = whole.hwm;
    await server.stop();
  }
  const peak = details.scenarioPeakRss as number | null;
  rows[0]!.notes.push(`server peak RSS over the whole scenario (loads, rebuilds, reads, rollover): ${formatMiB(peak)} (VmHWM ${formatMiB(details.scenarioHwm as number | null)}); target < 1 GiB: ${peak !== null && peak < 1024 ** 3 ? 'met' : 'MISSED'}`);
  return { rows, details };
}
