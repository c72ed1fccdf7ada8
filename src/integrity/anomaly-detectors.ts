/**
 * Per-player statistics kept cheaply on the write path, and the rules that read them. Pure and
 * synchronous: the integrity service feeds attempts in and acts on the findings. Memory is bounded
 * by the players active within the window (idle players are swept away).
 */


/** Thresholds of the detectors; every one is configuration (see `Config.anomaly`). */
export interface AnomalyThresholds {
  /** Sliding window of score growth, distinct addresses and rejection counts. @default 300000 */
  windowMs: number;
  /** Robust z-score of log(1 + a player's growth in the window) above which they are flagged. @default 4.5 */
  zScore: number;
  /** Players active in the window before the population is large enough to compare against. @default 30 */
  minPopulation: number;
  /** Accepted updates in the window before a player's growth is judged. @default 5 */
  minSamples: number;
  /** Coefficient of variation of request intervals at or below which timing is machine-regular. @default 0.05 */
  regularityCv: number;
  /** Intervals needed before regularity is judged. @default 12 */
  regularitySamples: number;
  /** Distinct client addresses in the window that count as a burst. @default 5 */
  distinctIps: number;
  /** Signature failures in the window that get a player flagged. @default 5 */
  signatureFailures: number;
  /** TOO_FAST refusals in the window that get a player flagged. @default 5 */
  tooFastRefusals: number;
  /** Share of a player's updates in the window claiming their action's maxScore that gets them flagged. @default 0.8 */
  maxScoreShare: number;
  /** Updates in the window before that share is judged. @default 10 */
  maxScoreSamples: number;
}

export const DEFAULT_THRESHOLDS: AnomalyThresholds = {
  windowMs: 300_000,
  zScore: 4.5,
  minPopulation: 30,
  minSamples: 5,
  regularityCv: 0.05,
  regularitySamples: 12,
  distinctIps: 5,
  signatureFailures: 5,
  tooFastRefusals: 5,
  maxScoreShare: 0.8,
  maxScoreSamples: 10,
};

/** Why a player was flagged (stored as `suspicious_activity.reason`). */
/** Every reason a flag can carry (the admin dashboard has words for each). */
export const ANOMALY_REASONS = ['SCORE_VELOCITY', 'MAX_SCORE_SHARE', 'REGULAR_INTERVALS', 'IP_BURST', 'SIGNATURE_FAILURES', 'TOO_FAST_REPEATED'] as const;

export type AnomalyReason = (typeof ANOMALY_REASONS)[number];

export interface Finding {
  reason: AnomalyReason;
  /** The evidence, stored in `suspicious_activity.details`. */
  details: Record<string, unknown>;
}

export type { ScoreAttemptEvent } from '../score-attempt.js';
import type { ScoreAttemptEvent } from '../score-attempt.js';

export type Attempt = ScoreAttemptEvent;

const BUCKETS = 10;
/** The least spread of log growth the z-score divides by (about ±10 %). */
const MIN_LOG_SPREAD = 0.1;
const INTERVALS_KEPT = 24;

class PlayerStats {
  /** Score gained per bucket of windowMs / BUCKETS, ring-indexed by absolute bucket number. */
  readonly gains = new Float64Array(BUCKETS);
  readonly counts = new Uint32Array(BUCKETS);
  /** Updates per bucket that claimed their action's maxScore. */
  readonly maxed = new Uint32Array(BUCKETS);
  maxedTotal = 0;
  lastBucket = 0;
  total = 0;
  samples = 0;
  lastAttemptMs = -1;
  readonly intervals: number[] = [];
  readonly ips = new Map<string, number>();
  signatureFailures: number[] = [];
  tooFast: number[] = [];
  lastSeenMs = 0;
}

/** Sum and sum of squares of `xs`, for the mean and variance. */
function meanAndCv(xs: readonly number[]): { mean: number; cv: number } {
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  let squares = 0;
  for (const x of xs) squares += (x - mean) ** 2;
  const std = Math.sqrt(squares / xs.length);
  return { mean, cv: mean > 0 ? std / mean : Infinity };
}

function median(sorted: readonly number[]): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The detectors over every active player. `observe` costs O(1) amortised per attempt; the population
 * statistics behind the z-score (median and median absolute deviation of log window growth, robust to the
 * cheaters themselves) are recomputed at most once per bucket, in O(active players).
 */
export class AnomalyDetectors {
  private readonly players = new Map<string, PlayerStats>();
  private readonly bucketMs: number;
  private population: { size: number; median: number; mad: number; computedAtBucket: number } = {
    size: 0,
    median: 0,
    mad: 0,
    computedAtBucket: -1,
  };

  constructor(readonly thresholds: AnomalyThresholds = DEFAULT_THRESHOLDS) {
    this.bucketMs = Math.max(1, Math.floor(thresholds.windowMs / BUCKETS));
  }

  /** Players currently tracked. */
  get size(): number {
    return this.players.size;
  }

  /** Records one attempt and returns what it reveals (usually nothing). */
  observe(attempt: Attempt): Finding[] {
    const stats = this.statsOf(attempt.userId, attempt.atMs);
    const findings: Finding[] = [];
    this.trackInterval(stats, attempt, findings);
    this.trackAddress(stats, attempt, findings);
    if (attempt.outcome === 'INVALID_SIGNATURE') {
      stats.signatureFailures = this.recent(stats.signatureFailures, attempt.atMs);
      stats.signatureFailures.push(attempt.atMs);
      if (stats.signatureFailures.length >= this.thresholds.signatureFailures) {
        findings.push({ reason: 'SIGNATURE_FAILURES', details: { failures: stats.signatureFailures.length, windowMs: this.thresholds.windowMs } });
      }
    }
    if (attempt.outcome === 'TOO_FAST') {
      stats.tooFast = this.recent(stats.tooFast, attempt.atMs);
      stats.tooFast.push(attempt.atMs);
      if (stats.tooFast.length >= this.thresholds.tooFastRefusals) {
        findings.push({ reason: 'TOO_FAST_REPEATED', details: { refusals: stats.tooFast.length, windowMs: this.thresholds.windowMs } });
      }
    }
    if (attempt.outcome === 'applied' && attempt.increment !== undefined) {
      this.addGain(stats, attempt.atMs, attempt.increment, attempt.maxScore !== undefined && attempt.increment >= attempt.maxScore);
      const velocity = this.judgeVelocity(stats, attempt.atMs);
      if (velocity) findings.push(velocity);
      if (stats.samples >= this.thresholds.maxScoreSamples && stats.maxedTotal / stats.samples >= this.thresholds.maxScoreShare) {
        findings.push({
          reason: 'MAX_SCORE_SHARE',
          details: { maxScoreUpdates: stats.maxedTotal, windowUpdates: stats.samples, share: Number((stats.maxedTotal / stats.samples).toFixed(3)), windowMs: this.thresholds.windowMs },
        });
      }
    }
    return findings;
  }

  /** Forgets idle players (no attempt within the window); call periodically. */
  sweep(nowMs: number): void {
    for (const [userId, stats] of this.players) {
      if (nowMs - stats.lastSeenMs > this.thresholds.windowMs) this.players.delete(userId);
    }
  }

  /** Forgets a player (erased, or unfrozen with a clean slate). */
  forget(userId: string): void {
    this.players.delete(userId);
  }

  private statsOf(userId: string, nowMs: number): PlayerStats {
    let stats = this.players.get(userId);
    if (!stats) {
      stats = new PlayerStats();
      stats.lastBucket = Math.floor(nowMs / this.bucketMs);
      this.players.set(userId, stats);
    }
    stats.lastSeenMs = nowMs;
    return stats;
  }

  private recent(times: number[], nowMs: number): number[] {
    const from = nowMs - this.thresholds.windowMs;
    return times[0] !== undefined && times[0] < from ? times.filter((t) => t >= from) : times;
  }

  private trackInterval(stats: PlayerStats, attempt: Attempt, findings: Finding[]): void {
    if (stats.lastAttemptMs >= 0) {
      const interval = attempt.atMs - stats.lastAttemptMs;
      // A pause longer than the window starts a new session: its gap says nothing about a bot.
      if (interval > this.thresholds.windowMs) stats.intervals.length = 0;
      else {
        stats.intervals.push(interval);
        if (stats.intervals.length > INTERVALS_KEPT) stats.intervals.shift();
      }
    }
    stats.lastAttemptMs = attempt.atMs;
    if (stats.intervals.length < this.thresholds.regularitySamples) return;
    const recentIntervals = stats.intervals.slice(-this.thresholds.regularitySamples);
    const { mean, cv } = meanAndCv(recentIntervals);
    if (cv <= this.thresholds.regularityCv) {
      findings.push({
        reason: 'REGULAR_INTERVALS',
        details: { meanIntervalMs: Math.round(mean), coefficientOfVariation: Number(cv.toFixed(4)), samples: recentIntervals.length },
      });
    }
  }

  private trackAddress(stats: PlayerStats, attempt: Attempt, findings: Finding[]): void {
    if (!attempt.ipAddress) return;
    stats.ips.delete(attempt.ipAddress);
    stats.ips.set(attempt.ipAddress, attempt.atMs);
    // Oldest first (re-inserted on every sight): drop what left the window.
    for (const [ip, seenMs] of stats.ips) {
      if (attempt.atMs - seenMs <= this.thresholds.windowMs) break;
      stats.ips.delete(ip);
    }
    if (stats.ips.size >= this.thresholds.distinctIps) {
      findings.push({ reason: 'IP_BURST', details: { distinctIps: stats.ips.size, addresses: [...stats.ips.keys()].slice(-10), windowMs: this.thresholds.windowMs } });
    }
  }

  private rollBuckets(stats: PlayerStats, nowMs: number): void {
    const bucket = Math.floor(nowMs / this.bucketMs);
    const steps = Math.min(BUCKETS, bucket - stats.lastBucket);
    for (let i = 1; i <= steps; i++) {
      const slot = (stats.lastBucket + i) % BUCKETS;
      stats.total -= stats.gains[slot]!;
      stats.samples -= stats.counts[slot]!;
      stats.maxedTotal -= stats.maxed[slot]!;
      stats.gains[slot] = 0;
      stats.counts[slot] = 0;
      stats.maxed[slot] = 0;
    }
    if (bucket > stats.lastBucket) stats.lastBucket = bucket;
  }

  private addGain(stats: PlayerStats, nowMs: number, increment: number, atMaxScore: boolean): void {
    this.rollBuckets(stats, nowMs);
    const slot = stats.lastBucket % BUCKETS;
    stats.gains[slot] = stats.gains[slot]! + increment;
    stats.counts[slot] = stats.counts[slot]! + 1;
    if (atMaxScore) {
      stats.maxed[slot] = stats.maxed[slot]! + 1;
      stats.maxedTotal += 1;
    }
    stats.total += increment;
    stats.samples += 1;
  }

  private judgeVelocity(stats: PlayerStats, nowMs: number): Finding | null {
    if (stats.samples < this.thresholds.minSamples) return null;
    const population = this.populationAt(nowMs);
    if (population.size < this.thresholds.minPopulation) return null;
    // Growth is roughly log-normal across players (skill multiplies), so the z-score is taken on
    // log(1 + growth); 1.4826 × MAD estimates the standard deviation, floored so that a population
    // of near-identical players does not make every small lead an outlier.
    const spread = Math.max(1.4826 * population.mad, MIN_LOG_SPREAD);
    const z = (Math.log1p(stats.total) - population.median) / spread;
    if (z < this.thresholds.zScore) return null;
    return {
      reason: 'SCORE_VELOCITY',
      details: {
        windowScore: stats.total,
        windowUpdates: stats.samples,
        populationMedianScore: Math.round(Math.expm1(population.median)),
        population: population.size,
        zScore: Number(z.toFixed(2)),
        windowMs: this.thresholds.windowMs,
      },
    };
  }

  private populationAt(nowMs: number): { size: number; median: number; mad: number } {
    const bucket = Math.floor(nowMs / this.bucketMs);
    if (this.population.computedAtBucket === bucket) return this.population;
    const totals: number[] = [];
    for (const stats of this.players.values()) {
      this.rollBuckets(stats, nowMs);
      if (stats.samples >= this.thresholds.minSamples) totals.push(Math.log1p(stats.total));
    }
    totals.sort((a, b) => a - b);
    if (totals.length === 0) {
      this.population = { size: 0, median: 0, mad: 0, computedAtBucket: bucket };
      return this.population;
    }
    const mid = median(totals);
    const deviations = totals.map((total) => Math.abs(total - mid)).sort((a, b) => a - b);
    this.population = { size: totals.length, median: mid, mad: median(deviations), computedAtBucket: bucket };
    return this.population;
  }
}
