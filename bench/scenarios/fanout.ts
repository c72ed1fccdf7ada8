import { setTimeout as sleep } from 'node:timers/promises';
import { ratioTo, sampleResources, startProduction, type BenchContext, type ScenarioRow } from '../lib/context.js';
import { runPaced, type PacedResponse } from '../lib/load.js';
import { adminToken, playerId, presignTokens, submissionBody, updateBody } from '../lib/players.js';
import { diffRankWatch, readRankWatch, type RankWatchFigures } from '../lib/rank-watch-metrics.js';
import { createBoard } from '../lib/board-seed.js';
import { seedPlayers } from '../lib/seed.js';
import { fileLimits, type ServerProcess } from '../lib/server.js';
import type { SeqRecord } from '../lib/socket-swarm.js';
import { BucketHistogram, formatMs, type LatencySummary } from '../lib/stats.js';
import { SocketSwarm } from '../lib/swarm.js';

const UPDATE_RATE = 1000;
/** Players the paced updates go to: more than 10, with big random increments, so the top 10 keeps changing. */
const CONTENDERS = 100;
const TOP = 10;
const BROADCAST_INTERVAL_MS = 100; // the server's default, left unset
const FD_MARGIN = 512;
/** Ids of the signed-in step's players (seeded with scores, one socket each). */
const SIGNED_IN_PREFIX = 'w';
/**
 * In the signed-in step, every other update goes to one of these instead, with a small increment:
 * they start at 0 and climb through the seeded players' scores, so players are passed all the time
 * (the contenders are above everyone after the first steps).
 */
const CLIMBERS = 100;
const CLIMB_INCREMENT_MAX = 2000;

export interface AppliedUpdate {
  /** The board of a direct submission; absent for an update (global). */
  boardId?: string;
  userId: string;
  newScore: number;
  /** Rank right after the update (1-based). */
  rank: number;
  /** When the server applied it (its `timestamp`, epoch ms). */
  appliedAt: number;
  /** When the bench had the whole 200 response (epoch ms, sub-millisecond). */
  respondedAt: number;
}

export interface FanoutAnalysis {
  /** The headline, per socket delivery: arrival - response time of the most recent update the broadcast newly reflects. */
  perDelivery: LatencySummary;
  /** Per (update, socket), for updates that entered the top 10: arrival of the first broadcast reflecting it - its response. */
  perUpdate: LatencySummary;
  /** The same, from the server's apply time instead of the response. */
  perUpdateFromApply: LatencySummary;
  broadcasts: number;
  deliveries: number;
  expectedDeliveries: number;
  /** Updates that left their player in the top 10, and how many of those a broadcast showed. */
  topUpdates: number;
  topUpdatesShown: number;
  /** Share of per-delivery values below zero (the broadcast reached the socket before the HTTP response reached the bench). */
  negativeShare: number;
}

/**
 * Matches broadcasts to updates. Scores only grow, so a broadcast reflects update (user, newScore)
 * when its top 10 holds the user with a score >= newScore; each broadcast carries the same content
 * to every socket, so matching is done once per seq and applied to all its arrivals.
 */
export function analyse(updates: AppliedUpdate[], seqs: SeqRecord[], sockets: number): FanoutAnalysis {
  return analyseBoards([{ updates, seqs, sockets }]);
}

/** One board's updates, its broadcasts and the sockets that watch it. */
export interface BoardTraffic {
  updates: AppliedUpdate[];
  seqs: SeqRecord[];
  sockets: number;
}

/** `analyse` of several boards at once, each matched on its own, into one set of figures. */
export function analyseBoards(boards: BoardTraffic[]): FanoutAnalysis {
  const histograms = { perDelivery: new BucketHistogram(-5000, 60_000, 0.1), perUpdate: new BucketHistogram(-5000, 60_000, 0.1), perUpdateFromApply: new BucketHistogram(-5000, 60_000, 0.1) };
  const totals = { broadcasts: 0, deliveries: 0, expectedDeliveries: 0, topUpdates: 0, topUpdatesShown: 0 };
  for (const board of boards) {
    const counted = matchBoard(board, histograms);
    totals.broadcasts += board.seqs.length;
    totals.deliveries += counted.deliveries;
    totals.expectedDeliveries += board.seqs.length * board.sockets;
    totals.topUpdates += counted.topUpdates;
    totals.topUpdatesShown += counted.shown;
  }
  const { perDelivery } = histograms;
  return {
    perDelivery: perDelivery.summary(),
    perUpdate: histograms.perUpdate.summary(),
    perUpdateFromApply: histograms.perUpdateFromApply.summary(),
    ...totals,
    negativeShare: perDelivery.count > 0 ? perDelivery.negative / perDelivery.count : 0,
  };
}

type Histograms = Record<'perDelivery' | 'perUpdate' | 'perUpdateFromApply', BucketHistogram>;

/** Matches one board's broadcasts to its updates into the histograms. */
function matchBoard({ updates, seqs }: BoardTraffic, { perDelivery, perUpdate, perUpdateFromApply }: Histograms) {
  const tops = seqs.map((record) => new Map(record.top));
  let deliveries = 0;

  // Headline: the most recent update response each broadcast newly reflects.
  const byUser = new Map<string, AppliedUpdate[]>();
  for (const update of updates) {
    let list = byUser.get(update.userId);
    if (!list) byUser.set(update.userId, (list = []));
    list.push(update);
  }
  for (const list of byUser.values()) list.sort((a, b) => a.newScore - b.newScore);
  const cursor = new Map<string, number>();
  seqs.forEach((record, s) => {
    deliveries += record.arrivals.length;
    let latest = -Infinity;
    for (const [userId, score] of tops[s]!) {
      const list = byUser.get(userId);
      if (!list) continue;
      let i = cursor.get(userId) ?? 0;
      while (i < list.length && list[i]!.newScore <= score) latest = Math.max(latest, list[i++]!.respondedAt);
      cursor.set(userId, i);
    }
    if (latest === -Infinity) return;
    for (const arrival of record.arrivals) perDelivery.add(arrival - latest);
  });

  // Per update: the first broadcast sent after it was applied should show it (or the next one, if
  // that broadcast had read the top just before the update reached the rank index). An update that
  // neither shows was pushed out of the top 10 before a broadcast read it: superseded, not late.
  let topUpdates = 0;
  let shown = 0;
  const sentAt = seqs.map((record) => record.sentAt);
  for (const update of updates) {
    if (update.rank > TOP) continue;
    topUpdates += 1;
    let lo = 0;
    let hi = sentAt.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sentAt[mid]! < update.appliedAt) lo = mid + 1;
      else hi = mid;
    }
    for (const s of [lo, lo + 1]) {
      const score = tops[s]?.get(update.userId);
      if (score === undefined || score < update.newScore) continue;
      shown += 1;
      for (const arrival of seqs[s]!.arrivals) {
        perUpdate.add(arrival - update.respondedAt);
        perUpdateFromApply.add(arrival - update.appliedAt);
      }
      break;
    }
  }
  return { deliveries, topUpdates, shown };
}

const pct = (s: LatencySummary) => `p50 ${formatMs(s.p50)}  p95 ${formatMs(s.p95)}  p99 ${formatMs(s.p99)} ms`;

interface Step {
  sockets: number;
  /** Signed-in steps: one token per socket (distinct seeded players). */
  tokens?: string[];
  /** Board steps: socket i subscribes to boards[i % length], and the load is direct submissions to them. */
  boards?: string[];
}

/** The boards step: this many `best` boards, the sockets spread over them. */
const BOARDS = 20;
const BOARD_SOCKETS = 1000;

interface StepResult {
  row: ScenarioRow;
  detail: Record<string, unknown>;
  updatesPerSec: number;
  deliveriesPerSec: number;
  latency: LatencySummary;
}

/**
 * N Socket.IO clients (a separate process) watch the board while signed updates flow at a steady
 * 1,000/s to a few contenders; measures how long after an update's response the sockets have a
 * `leaderboard:update` that reflects it. Steps: 1,000 anonymous sockets, then --sockets (default
 * 10,000) anonymous, then as many signed in as distinct seeded players (the rank watcher's work).
 */
export async function fanout(ctx: BenchContext) {
  const limits = fileLimits();
  let target = ctx.maxSockets;
  let nofile: number | undefined;
  const notesAll: string[] = [];
  if (target + FD_MARGIN > limits.soft) {
    if (target + FD_MARGIN <= limits.hard) {
      nofile = target + FD_MARGIN;
    } else {
      nofile = limits.hard;
      target = Math.max(1, limits.hard - FD_MARGIN);
      notesAll.push(`open-file hard limit ${limits.hard}: sockets capped at ${target}`);
    }
  }
  const fdNote = nofile
    ? `ulimit -n raised to ${nofile} for the server and the socket process (was ${limits.soft}, hard ${limits.hard})`
    : `ulimit -n ${limits.soft} (hard ${limits.hard}) is enough for ${target} sockets; not raised`;
  ctx.log(fdNote);
  // Signed-in players have entries spread over 0..999,999, so the contenders keep passing them.
  const seedMs = await seedPlayers(ctx.dbName, SIGNED_IN_PREFIX, target);
  const signedInTokens = presignTokens(ctx.secrets, Array.from({ length: target }, (_, i) => playerId(SIGNED_IN_PREFIX, i + 1)));
  ctx.log(`${target.toLocaleString('en-US')} players seeded for the signed-in step in ${seedMs.toFixed(0)} ms`);
  const steps: Step[] = [...new Set([Math.min(1000, target), target])].map((sockets) => ({ sockets }));
  const boardIds = Array.from({ length: BOARDS }, (_, i) => `fanout-${String(i + 1).padStart(2, '0')}`);
  steps.splice(1, 0, { sockets: Math.min(BOARD_SOCKETS, target), boards: boardIds });
  steps.push({ sockets: target, tokens: signedInTokens });

  const server = await startProduction(ctx, {}, nofile);
  const swarm = new SocketSwarm(nofile);
  const results: StepResult[] = [];
  try {
    ctx.log(`server pid ${server.pid} ready in ${server.startMs.toFixed(0)} ms; socket process pid ${swarm.pid}`);
    const admin = adminToken(ctx.secrets);
    for (const id of boardIds) await createBoard(server, admin, { id, operator: 'best', sortOrder: 'desc' });
    for (const step of steps) results.push(await measureStep(ctx, server, swarm, step));
  } finally {
    await swarm.kill();
    await server.stop();
  }
  const anonymous = results.find((result) => result.detail.signedIn === false && result.detail.sockets === target);
  const signedIn = results.find((result) => result.detail.signedIn === true);
  if (anonymous && signedIn) signedIn.row.notes.push(signedInRatio(signedIn, anonymous));
  const single = results.find((result) => result.detail.signedIn === false && result.detail.boards === undefined && result.detail.sockets === Math.min(BOARD_SOCKETS, target));
  const spread = results.find((result) => result.detail.boards !== undefined);
  if (single && spread) spread.row.notes.push(boardsRatio(spread, single));
  return {
    rows: results.map((result) => result.row),
    details: { fileLimits: limits, nofile: nofile ?? null, fdNote, steps: results.map((result) => result.detail), broadcastIntervalMs: BROADCAST_INTERVAL_MS, notes: notesAll },
  };
}

function signedInRatio(signedIn: StepResult, anonymous: StepResult): string {
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  return (
    `signed-in / anonymous (same socket count): updates/s ${ratio(signedIn.updatesPerSec, anonymous.updatesPerSec)}, ` +
    `deliveries/s ${ratio(signedIn.deliveriesPerSec, anonymous.deliveriesPerSec)}, ` +
    `p50 ${ratio(signedIn.latency.p50, anonymous.latency.p50)}, p95 ${ratio(signedIn.latency.p95, anonymous.latency.p95)}`
  );
}

function boardsRatio(spread: StepResult, single: StepResult): string {
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  return (
    `next to one board (the ${formatMs(single.latency.p99)} ms p99 and ${single.deliveriesPerSec.toFixed(0)} deliveries/s of the same socket count on global in this run): ` +
    `deliveries/s ${ratio(spread.deliveriesPerSec, single.deliveriesPerSec)}, p99 ${ratio(spread.latency.p99, single.latency.p99)}`
  );
}

/** One step: connect the sockets, run the paced updates, match the broadcasts, close the sockets. */
async function measureStep(ctx: BenchContext, server: ServerProcess, swarm: SocketSwarm, step: Step): Promise<StepResult> {
  const { sockets, tokens, boards } = step;
  const kind = tokens ? 'signed-in ' : '';
  const connected = await swarm.connect(server.url, sockets, 100, 30_000, tokens, boards);
  ctx.log(
    `${connected.ok.toLocaleString('en-US')} of ${sockets.toLocaleString('en-US')} ${kind}sockets connected in ${connected.ms.toFixed(0)} ms` +
      (connected.failed > 0 ? ` (${connected.failed} failed: ${connected.errors.join('; ')})` : ''),
  );
  if (connected.ok === 0) throw new Error(`fan-out: no socket could connect: ${connected.errors.join('; ')}`);
  await sleep(1000);
  const watchBefore = await readRankWatch(server.url);
  swarm.record(true);
  const sampler = await sampleResources(ctx, server.pid, { pids: { sockets: swarm.pid } });
  ctx.log(`updates at ${UPDATE_RATE}/s to ${CONTENDERS} contenders for ${ctx.durationSec} s while ${connected.ok.toLocaleString('en-US')} ${kind}sockets watch`);
  const load = boards ? await pacedSubmissions(ctx, server.url, boards) : await pacedUpdates(ctx, server.url, Boolean(tokens));
  // The last broadcast follows within the interval; give the sockets time to take it in.
  await sleep(BROADCAST_INTERVAL_MS + 2000);
  swarm.record(false);
  const resources = await sampler.stop();
  const watch = diffRankWatch(watchBefore, await readRankWatch(server.url));
  const report = await swarm.report();
  const analysis = boards
    ? analyseBoards(boards.map((boardId) => ({ updates: load.applied.filter((u) => u.boardId === boardId), seqs: report.seqs.filter((r) => r.boardId === boardId), sockets: connected.subscribers?.[boardId] ?? 0 })))
    : analyse(load.applied, report.seqs, connected.ok);
  await swarm.close();
  const deliveryRate = analysis.deliveries / resources.seconds;
  const achieved = load.ok / load.seconds;
  const notes = stepNotes(load, analysis, achieved, report.disconnects);
  if (tokens) notes.push(watchNote(watch, report.rankChanges));
  if (connected.failed > 0) notes.push(`${connected.failed} sockets failed to connect: ${connected.errors.join('; ')}`);
  const id = tokens ? `fanout-signed-in-${connected.ok}` : boards ? `fanout-boards-${boards.length}-${connected.ok}` : `fanout-${connected.ok}`;
  const row: ScenarioRow = {
    scenario: 'fanout',
    id,
    label: `fan-out: ${connected.ok.toLocaleString('en-US')} ${kind}sockets${boards ? ` over ${boards.length} boards` : ''}`,
    unit: 'deliveries/s',
    throughput: deliveryRate,
    operations: analysis.deliveries,
    latency: analysis.perDelivery,
    peakRss: resources.peakRss,
    ratio: ratioTo(ctx, deliveryRate),
    resources,
    notes,
    details: { sockets, signedIn: Boolean(tokens), connected: connected.ok, connectMs: connected.ms, updatesApplied: load.ok, updatesMatched: load.applied.length, updatesPerSec: achieved, updatesSkipped: load.skipped, updatesRefused: load.refused, requestErrors: load.errors, updateLatency: load.latency, ...analysis, disconnects: report.disconnects, rankChangesReceived: report.rankChanges, rankWatch: watch },
  };
  if (boards) notes.push(`${boards.length} best boards, ${connected.ok} sockets spread evenly; load = signed direct submissions (POST /api/v1/boards/:boardId/scores) at ${UPDATE_RATE}/s to a random board and contender; throughput = board:update messages delivered`);
  const detail = { sockets, signedIn: Boolean(tokens), ...(boards ? { boards: boards.length } : {}), connected: connected.ok, failed: connected.failed, connectMs: connected.ms };
  return { row, detail, updatesPerSec: achieved, deliveriesPerSec: deliveryRate, latency: analysis.perDelivery };
}

interface PacedLoad {
  /** The 200s to match against broadcasts. */
  applied: AppliedUpdate[];
  /** Every 200 (submissions that did not improve an entry included). */
  ok: number;
  refused: Record<string, number>;
  failures: string[];
  skipped: number;
  errors: number;
  seconds: number;
  latency: LatencySummary;
}

type PacedRequest = { path: string; headers: Record<string, string>; body: string; tag: string };

/** UPDATE_RATE signed updates per second to the contenders (half to climbers with `climbers`). */
function pacedUpdates(ctx: BenchContext, url: string, climbers: boolean): Promise<PacedLoad> {
  const ids = Array.from({ length: CONTENDERS }, (_, i) => playerId('f', i + 1));
  const tokens = presignTokens(ctx.secrets, ids);
  const climberIds = Array.from({ length: CLIMBERS }, (_, i) => playerId('c', i + 1));
  const climberTokens = presignTokens(ctx.secrets, climberIds);
  const update = (token: string, tag: string, increment: number): PacedRequest => ({
    path: '/api/v1/scores/update',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: updateBody(ctx.secrets, increment).body,
    tag,
  });
  return pacedLoad(
    ctx,
    url,
    () => {
      if (climbers && Math.random() < 0.5) {
        const c = Math.floor(Math.random() * CLIMBERS);
        return update(climberTokens[c]!, climberIds[c]!, 1 + Math.floor(Math.random() * CLIMB_INCREMENT_MAX));
      }
      const i = Math.floor(Math.random() * CONTENDERS);
      return update(tokens[i]!, ids[i]!, 1 + Math.floor(Math.random() * 1_000_000));
    },
    (data: { newScore: number; rank: number; timestamp: string }, tag, response) => ({ userId: tag, newScore: data.newScore, rank: data.rank, appliedAt: Date.parse(data.timestamp), respondedAt: response.receivedAt }),
  );
}

/**
 * UPDATE_RATE signed direct submissions per second, each to a random one of `boards` (all `best`)
 * for a random contender. Tags are `boardId userId`. A submission's answer carries no apply time:
 * the time it was sent stands in for it. Only submissions that improved an entry are matched.
 */
function pacedSubmissions(ctx: BenchContext, url: string, boards: string[]): Promise<PacedLoad> {
  const ids = Array.from({ length: CONTENDERS }, (_, i) => playerId('f', i + 1));
  const tokens = presignTokens(ctx.secrets, ids);
  return pacedLoad(
    ctx,
    url,
    () => {
      const i = Math.floor(Math.random() * CONTENDERS);
      const boardId = boards[Math.floor(Math.random() * boards.length)]!;
      return {
        path: `/api/v1/boards/${boardId}/scores`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i]}` },
        body: submissionBody(ctx.secrets, boardId, 1 + Math.floor(Math.random() * 1_000_000)).body,
        tag: `${boardId} ${ids[i]}`,
      };
    },
    (data: { score: number; rank: number; improved: boolean }, tag, response) => {
      // One that did not beat the player's best changed nothing a broadcast could show.
      if (!data.improved) return null;
      const [boardId, userId] = tag.split(' ') as [string, string];
      return { boardId, userId, newScore: data.score, rank: data.rank, appliedAt: response.receivedAt - response.latencyMs, respondedAt: response.receivedAt };
    },
  );
}

/**
 * Paced requests from `build`; each 200's data becomes an AppliedUpdate to match, unless `parse`
 * says it changed nothing (null); throws when the bench itself is broken (a 4xx).
 */
async function pacedLoad<T>(ctx: BenchContext, url: string, build: () => PacedRequest, parse: (data: T, tag: string, response: PacedResponse) => AppliedUpdate | null): Promise<PacedLoad> {
  const applied: AppliedUpdate[] = [];
  let ok = 0;
  const failures: string[] = [];
  /** Answers other than 200: a 4xx means the bench is broken; a 5xx or 429 is the server under this load. */
  const refused: Record<string, number> = {};
  const paced = await runPaced({
    url,
    ratePerSec: UPDATE_RATE,
    durationSec: ctx.durationSec,
    build,
    onResponse: (response, tag) => {
      if (response.status !== 200) {
        let code = String(response.status);
        try {
          code = `${response.status} ${(JSON.parse(response.body) as { error: { code: string } }).error.code}`;
        } catch {
          // not the error envelope
        }
        refused[code] = (refused[code] ?? 0) + 1;
        if (failures.length < 5) failures.push(`${response.status} ${response.body.slice(0, 300)}`);
        return;
      }
      ok += 1;
      const update = parse((JSON.parse(response.body) as { data: T }).data, tag as string, response);
      if (update) applied.push(update);
    },
  });
  const clientErrors = Object.entries(refused).filter(([code]) => code.startsWith('4') && !code.startsWith('429'));
  if (clientErrors.length > 0) {
    throw new Error(`fan-out: updates refused with ${JSON.stringify(refused)}; the benchmark is broken:\n  ${failures.join('\n  ')}`);
  }
  return { applied, ok, refused, failures, skipped: paced.skipped, errors: paced.errors, seconds: paced.seconds, latency: paced.latency };
}

function stepNotes(load: PacedLoad, analysis: FanoutAnalysis, achieved: number, disconnects: number): string[] {
  const refusedCount = Object.values(load.refused).reduce((a, b) => a + b, 0);
  const notes = [
    `updates: ${load.ok.toLocaleString('en-US')} applied = ${achieved.toFixed(0)}/s of the ${UPDATE_RATE}/s asked` +
      (load.skipped > 0 ? ` (${load.skipped.toLocaleString('en-US')} sends skipped: 64 updates were already waiting, the server could not keep up)` : '') +
      `; update latency ${pct(load.latency)}`,
    `${analysis.broadcasts} broadcasts at BROADCAST_INTERVAL_MS=${BROADCAST_INTERVAL_MS}; ${analysis.deliveries.toLocaleString('en-US')} of ${analysis.expectedDeliveries.toLocaleString('en-US')} socket deliveries arrived; ${disconnects} sockets dropped`,
    `latency above = per socket delivery, from the response of the most recent update the broadcast newly shows (coalescing interval included); ${(analysis.negativeShare * 100).toFixed(1)}% below 0 (the broadcast beat the HTTP response)`,
    `per update and socket, updates that entered the top 10 (${analysis.topUpdatesShown.toLocaleString('en-US')} of ${analysis.topUpdates.toLocaleString('en-US')} shown; the rest were pushed out before the next broadcast): from its response ${pct(analysis.perUpdate)}; from its apply time ${pct(analysis.perUpdateFromApply)}`,
    `throughput = leaderboard:update messages delivered to sockets per second`,
  ];
  if (refusedCount > 0 || load.errors > 0) {
    notes.push(
      `SERVER OVERLOADED: ${refusedCount} updates refused (${Object.entries(load.refused).map(([code, n]) => `${n} x ${code}`).join(', ')}) and ${load.errors} request errors; e.g. ${load.failures[0] ?? ''}`,
    );
  }
  return notes;
}

function watchNote(watch: RankWatchFigures, received: number): string {
  const perTick = (value: number) => (watch.ticks > 0 ? value / watch.ticks : 0);
  return (
    `rank watcher: ${watch.ticks} ticks, wall ${formatMs(perTick(watch.wallSec) * 1000)} ms and CPU ${formatMs(perTick(watch.cpuSec) * 1000)} ms per tick ` +
    `(means), ${perTick(watch.players).toFixed(0)} players checked per tick, ` +
    `${watch.moves.toLocaleString('en-US')} moves told (${received.toLocaleString('en-US')} rank:changed received, own updates' included), ${watch.skipped} ticks skipped`
  );
}
