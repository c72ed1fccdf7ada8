import { setTimeout as sleep } from 'node:timers/promises';
import { PeriodSchedule } from '../../src/boards/board-periods.js';
import { sampleResources, type BenchContext, type ScenarioRow } from '../lib/context.js';
import { BOARD_PLAYERS, BOARD_PREFIX, indexedCount, loadBoard, type LoadedBoard } from '../lib/board-seed.js';
import { playerId } from '../lib/players.js';
import type { ResourceReport } from '../lib/proc.js';
import type { ServerProcess } from '../lib/server.js';
import { Samples, formatMs } from '../lib/stats.js';

const BOARD = 'bench-rollover';
const BEFORE_MS = 5000;
const AFTER_MS = 10_000;
const LAG_TARGET_MS = 50;

interface Sample {
  /** Epoch ms at which it was taken. */
  at: number;
  value: number;
}

/** Runs `step` back to back, `pauseMs` apart, until `untilMs` (epoch); each value time-stamped. */
async function probe(untilMs: number, pauseMs: number, step: () => Promise<number>): Promise<Sample[]> {
  const samples: Sample[] = [];
  while (Date.now() < untilMs) {
    samples.push({ value: await step(), at: Date.now() });
    await sleep(pauseMs);
  }
  return samples;
}

async function timedGet(url: string, allowed = [200]): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  if (!allowed.includes(response.status)) throw new Error(`board rollover: GET ${url} answered ${response.status}`);
  return performance.now() - started;
}

/** The event loop's longest delay since the previous scrape, in ms (prom-client's default metric). */
async function eventLoopMaxMs(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text);
  if (!match) throw new Error('board rollover: /metrics has no nodejs_eventloop_lag_max_seconds');
  return Number(match[1]) * 1000;
}

/** The largest value before and from the boundary; a scrape counts from the boundary once its window reaches it. */
function maxAround(samples: Sample[], boundaryMs: number): { before: number; after: number } {
  const max = (list: Sample[]) => (list.length === 0 ? Number.NaN : list.reduce((m, s) => Math.max(m, s.value), Number.NEGATIVE_INFINITY));
  return { before: max(samples.filter((s) => s.at < boundaryMs)), after: max(samples.filter((s) => s.at >= boundaryMs)) };
}

/** A daily cron at the first whole minute at least `aheadMs` from now (UTC), and the period it ends. */
function scheduleEndingSoon(aheadMs: number) {
  const boundary = new Date(Math.ceil((Date.now() + aheadMs) / 60_000) * 60_000);
  const reset = `${boundary.getUTCMinutes()} ${boundary.getUTCHours()} * * *`;
  const period = new PeriodSchedule(reset, 'UTC').periodAt(Date.now());
  if (period.endsAt?.getTime() !== boundary.getTime()) throw new Error(`board rollover: the period of "${reset}" ends at ${period.endsAt?.toISOString()}, not ${boundary.toISOString()}`);
  return { reset, period, boundaryMs: boundary.getTime() };
}

/** What the API and the rank index say once the boundary has passed. */
async function checkAfter(ctx: BenchContext, server: ServerProcess, endedId: string, boundaryMs: number): Promise<string[]> {
  const board = (await (await fetch(`${server.url}/api/v1/boards/${BOARD}`)).json()) as { data: { period: { id: string }; totalEntries: number } };
  const previous = (await (await fetch(`${server.url}/api/v1/boards/${BOARD}/entries?period=previous&limit=1`)).json()) as { data: { totalEntries: number } };
  const left = await indexedCount(ctx.redisPrefix, BOARD, endedId);
  const problems: string[] = [];
  if (board.data.period.id !== new Date(boundaryMs).toISOString() || board.data.totalEntries !== 0) problems.push(`current period ${board.data.period.id} with ${board.data.totalEntries} entries`);
  if (previous.data.totalEntries !== BOARD_PLAYERS) problems.push(`previous period has ${previous.data.totalEntries} entries`);
  if (left !== 0) problems.push(`the ended period's rank index still holds ${left} players`);
  if (problems.length > 0) throw new Error(`board rollover: after the boundary, ${problems.join('; ')}`);
  return [`after the boundary: the current period is the new one (0 entries), period=previous answers its ${BOARD_PLAYERS.toLocaleString('en-US')} entries from SQL, the ended period's Redis set is gone`];
}

/**
 * A second board of 1,000,000 entries whose period ends during the run (a daily cron set a few
 * minutes ahead, so that loading and rebuilding end before it), and what the server's event loop,
 * `/health/live` and a Redis-backed read of the other board do across the boundary.
 */
export async function rolloverRow(ctx: BenchContext, server: ServerProcess, admin: string, other: { readsBoard: string; loaded: LoadedBoard }, details: Record<string, unknown>): Promise<ScenarioRow> {
  const { reset, period, boundaryMs } = scheduleEndingSoon(1.5 * (other.loaded.loadMs + other.loaded.rebuildMs) + 20_000);
  ctx.log(`board ${BOARD}: reset "${reset}" (UTC), its period ${period.id} ends at ${new Date(boundaryMs).toISOString()}`);
  const loaded = await loadBoard(ctx, server, admin, { id: BOARD, operator: 'best', sortOrder: 'desc', reset }, period.id);
  const spareMs = boundaryMs - Date.now();
  details.rollover = { reset, periodId: period.id, boundary: new Date(boundaryMs).toISOString(), ...loaded, spareMs };
  if (spareMs < 3000) throw new Error(`board rollover: loading and rebuilding ended ${(-spareMs / 1000).toFixed(1)} s after the boundary was due (-3 s); nothing to measure`);
  ctx.log(`ready ${(spareMs / 1000).toFixed(0)} s before the boundary; probing from ${BEFORE_MS / 1000} s before to ${AFTER_MS / 1000} s after it`);
  await sleep(Math.max(0, spareMs - BEFORE_MS));
  await eventLoopMaxMs(server.url); // starts the metric's window afresh
  const until = boundaryMs + AFTER_MS;
  const sampler = await sampleResources(ctx, server.pid);
  const readOf = () => `${server.url}/api/v1/boards/${other.readsBoard}/entries/${playerId(BOARD_PREFIX, 1 + Math.floor(Math.random() * BOARD_PLAYERS))}`;
  const [lag, health, reads] = await Promise.all([
    probe(until, 200, () => eventLoopMaxMs(server.url)),
    probe(until, 20, () => timedGet(`${server.url}/health/live`)),
    probe(until, 20, () => timedGet(readOf())),
  ]);
  const resources = await sampler.stop();
  const notes = await checkAfter(ctx, server, period.id, boundaryMs);
  return rolloverReport({ lag, health, reads, boundaryMs, resources, notes, details });
}

function rolloverReport(run: { lag: Sample[]; health: Sample[]; reads: Sample[]; boundaryMs: number; resources: ResourceReport; notes: string[]; details: Record<string, unknown> }): ScenarioRow {
  const lag = maxAround(run.lag, run.boundaryMs);
  const health = maxAround(run.health, run.boundaryMs);
  const reads = maxAround(run.reads, run.boundaryMs);
  const latency = new Samples();
  for (const sample of run.lag.filter((s) => s.at >= run.boundaryMs)) latency.add(sample.value);
  Object.assign(run.details.rollover as object, { eventLoopMaxMs: lag, healthLiveMaxMs: health, entryReadMaxMs: reads });
  const verdict = lag.after <= LAG_TARGET_MS ? 'met' : 'MISSED';
  return {
    scenario: 'board-reads',
    id: 'board-rollover',
    label: 'board-reads: event-loop delay across a 1M-entry period rollover',
    unit: 'scrapes/s',
    throughput: run.lag.length / ((BEFORE_MS + AFTER_MS) / 1000),
    latency: latency.summary(),
    peakRss: run.resources.peakRss,
    ratio: null,
    resources: run.resources,
    notes: [
      `event-loop delay (nodejs_eventloop_lag_max_seconds, scraped every 200 ms; an idle loop reads ~10 ms, its sampling interval): max ${formatMs(lag.after)} ms in the ${AFTER_MS / 1000} s from the boundary, ${formatMs(lag.before)} ms in the ${BEFORE_MS / 1000} s before; target ${LAG_TARGET_MS} ms: ${verdict}`,
      `GET /health/live every 20 ms: max ${formatMs(health.after)} ms from the boundary (${formatMs(health.before)} ms before)`,
      `GET /boards/:id/entries/:userId of the other 1M board (a Redis rank read) every 20 ms: max ${formatMs(reads.after)} ms from the boundary (${formatMs(reads.before)} ms before)`,
      ...run.notes,
    ],
  };
}
