import { setTimeout as sleep } from 'node:timers/promises';
import { ratioTo, sampleResources, startProduction, type BenchContext, type ScenarioRow } from '../lib/context.js';
import { runPaced } from '../lib/load.js';
import { playerId, presignTokens, updateBody } from '../lib/players.js';
import { fileLimits } from '../lib/server.js';
import type { SeqRecord } from '../lib/socket-swarm.js';
import { BucketHistogram, formatMs, type LatencySummary } from '../lib/stats.js';
import { SocketSwarm } from '../lib/swarm.js';

const UPDATE_RATE = 1000;
/** Players the paced updates go to: more than 10, with big random increments, so the top 10 keeps changing. */
const CONTENDERS = 100;
const TOP = 10;
const BROADCAST_INTERVAL_MS = 100; // the server's default, left unset
const FD_MARGIN = 512;

export interface AppliedUpdate {
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
  const perDelivery = new BucketHistogram(-5000, 60_000, 0.1);
  const perUpdate = new BucketHistogram(-5000, 60_000, 0.1);
  const perUpdateFromApply = new BucketHistogram(-5000, 60_000, 0.1);
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
  return {
    perDelivery: perDelivery.summary(),
    perUpdate: perUpdate.summary(),
    perUpdateFromApply: perUpdateFromApply.summary(),
    broadcasts: seqs.length,
    deliveries,
    expectedDeliveries: seqs.length * sockets,
    topUpdates,
    topUpdatesShown: shown,
    negativeShare: perDelivery.count > 0 ? perDelivery.negative / perDelivery.count : 0,
  };
}

const pct = (s: LatencySummary) => `p50 ${formatMs(s.p50)}  p95 ${formatMs(s.p95)}  p99 ${formatMs(s.p99)} ms`;

/**
 * N Socket.IO clients (a separate process) watch the board while signed updates flow at a steady
 * 1,000/s to a few contenders; measures how long after an update's response the sockets have a
 * `leaderboard:update` that reflects it. Steps: 1,000 sockets, then --sockets (default 10,000).
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
  const steps = [...new Set([Math.min(1000, target), target])];

  const ids = Array.from({ length: CONTENDERS }, (_, i) => playerId('f', i + 1));
  const tokens = presignTokens(ctx.secrets, ids);
  const server = await startProduction(ctx, {}, nofile);
  const swarm = new SocketSwarm(nofile);
  const rows: ScenarioRow[] = [];
  const stepDetails: Record<string, unknown>[] = [];
  try {
    ctx.log(`server pid ${server.pid} ready in ${server.startMs.toFixed(0)} ms; socket process pid ${swarm.pid}`);
    for (const sockets of steps) {
      const connected = await swarm.connect(server.url, sockets, 100);
      ctx.log(
        `${connected.ok.toLocaleString('en-US')} of ${sockets.toLocaleString('en-US')} sockets connected in ${connected.ms.toFixed(0)} ms` +
          (connected.failed > 0 ? ` (${connected.failed} failed: ${connected.errors.join('; ')})` : ''),
      );
      if (connected.ok === 0) throw new Error(`fan-out: no socket could connect: ${connected.errors.join('; ')}`);
      await sleep(1000);
      const applied: AppliedUpdate[] = [];
      const failures: string[] = [];
      /** Answers other than 200: a 4xx means the bench is broken; a 5xx or 429 is the server under this load. */
      const refused: Record<string, number> = {};
      swarm.record(true);
      const sampler = await sampleResources(ctx, server.pid, { pids: { sockets: swarm.pid } });
      ctx.log(`updates at ${UPDATE_RATE}/s to ${CONTENDERS} contenders for ${ctx.durationSec} s while ${connected.ok.toLocaleString('en-US')} sockets watch`);
      const paced = await runPaced({
        url: server.url,
        ratePerSec: UPDATE_RATE,
        durationSec: ctx.durationSec,
        build: () => {
          const i = Math.floor(Math.random() * CONTENDERS);
          return {
            path: '/api/v1/scores/update',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[i]}` },
            body: updateBody(ctx.secrets, 1 + Math.floor(Math.random() * 1_000_000)).body,
            tag: ids[i],
          };
        },
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
          const { data } = JSON.parse(response.body) as { data: { newScore: number; rank: number; timestamp: string } };
          applied.push({ userId: tag as string, newScore: data.newScore, rank: data.rank, appliedAt: Date.parse(data.timestamp), respondedAt: response.receivedAt });
        },
      });
      // The last broadcast follows within the interval; give the sockets time to take it in.
      await sleep(BROADCAST_INTERVAL_MS + 2000);
      swarm.record(false);
      const resources = await sampler.stop();
      const clientErrors = Object.entries(refused).filter(([code]) => code.startsWith('4') && !code.startsWith('429'));
      if (clientErrors.length > 0) {
        throw new Error(`fan-out: updates refused with ${JSON.stringify(refused)}; the benchmark is broken:\n  ${failures.join('\n  ')}`);
      }
      const refusedCount = Object.values(refused).reduce((a, b) => a + b, 0);
      const report = await swarm.report();
      const analysis = analyse(applied, report.seqs, connected.ok);
      await swarm.close();
      const deliveryRate = analysis.deliveries / resources.seconds;
      const achieved = applied.length / paced.seconds;
      const notes = [
        `updates: ${applied.length.toLocaleString('en-US')} applied = ${achieved.toFixed(0)}/s of the ${UPDATE_RATE}/s asked` +
          (paced.skipped > 0 ? ` (${paced.skipped.toLocaleString('en-US')} sends skipped: 64 updates were already waiting, the server could not keep up)` : '') +
          `; update latency ${pct(paced.latency)}`,
        `${analysis.broadcasts} broadcasts at BROADCAST_INTERVAL_MS=${BROADCAST_INTERVAL_MS}; ${analysis.deliveries.toLocaleString('en-US')} of ${analysis.expectedDeliveries.toLocaleString('en-US')} socket deliveries arrived; ${report.disconnects} sockets dropped`,
        `latency above = per socket delivery, from the response of the most recent update the broadcast newly shows (coalescing interval included); ${(analysis.negativeShare * 100).toFixed(1)}% below 0 (the broadcast beat the HTTP response)`,
        `per update and socket, updates that entered the top 10 (${analysis.topUpdatesShown.toLocaleString('en-US')} of ${analysis.topUpdates.toLocaleString('en-US')} shown; the rest were pushed out before the next broadcast): from its response ${pct(analysis.perUpdate)}; from its apply time ${pct(analysis.perUpdateFromApply)}`,
        `throughput = leaderboard:update messages delivered to sockets per second`,
      ];
      if (refusedCount > 0 || paced.errors > 0) {
        notes.push(
          `SERVER OVERLOADED: ${refusedCount} updates refused (${Object.entries(refused).map(([code, n]) => `${n} x ${code}`).join(', ')}) and ${paced.errors} request errors; e.g. ${failures[0] ?? ''}`,
        );
      }
      if (connected.failed > 0) notes.push(`${connected.failed} sockets failed to connect: ${connected.errors.join('; ')}`);
      rows.push({
        scenario: 'fanout',
        id: `fanout-${connected.ok}`,
        label: `fan-out: ${connected.ok.toLocaleString('en-US')} sockets`,
        unit: 'deliveries/s',
        throughput: deliveryRate,
        operations: analysis.deliveries,
        latency: analysis.perDelivery,
        peakRss: resources.peakRss,
        ratio: ratioTo(ctx, deliveryRate),
        resources,
        notes,
        details: {
          sockets,
          connected: connected.ok,
          connectMs: connected.ms,
          updatesApplied: applied.length,
          updatesPerSec: achieved,
          updatesSkipped: paced.skipped,
          updatesRefused: refused,
          requestErrors: paced.errors,
          updateLatency: paced.latency,
          ...analysis,
          disconnects: report.disconnects,
        },
      });
      stepDetails.push({ sockets, connected: connected.ok, failed: connected.failed, connectMs: connected.ms });
    }
  } finally {
    await swarm.kill();
    await server.stop();
  }
  return { rows, details: { fileLimits: limits, nofile: nofile ?? null, fdNote, steps: stepDetails, broadcastIntervalMs: BROADCAST_INTERVAL_MS, notes: notesAll } };
}
