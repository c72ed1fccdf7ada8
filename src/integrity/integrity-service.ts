import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import type { PubSub } from '../cache/pub-sub.js';
import type { IntegrityStore, SuspiciousActivity } from '../db/integrity-store.js';
import type { AccountStatus } from './account-status.js';
import type { FraudCheck, Metrics } from '../metrics/metrics.js';
import { ActivityStats } from './activity-stats.js';
import type { AlertWebhook } from './alert-webhook.js';
import { AnomalyDetectors, type AnomalyReason, type AnomalyThresholds, type Finding, type ScoreAttemptEvent } from './anomaly-detectors.js';

/** The channel on which instances share flags, so that every one tightens the player's limit. */
export const FLAGGED_CHANNEL = 'integrity:flagged';

const CHECK_OF: Record<AnomalyReason, FraudCheck> = {
  SCORE_VELOCITY: 'score_velocity',
  MAX_SCORE_SHARE: 'max_score_share',
  REGULAR_INTERVALS: 'regular_intervals',
  IP_BURST: 'ip_burst',
  SIGNATURE_FAILURES: 'signature_failures',
  TOO_FAST_REPEATED: 'min_duration',
};

export interface IntegrityServiceOptions {
  flags: IntegrityStore;
  /** Freezes flagged accounts with AUTO_FREEZE. */
  accounts: AccountStatus;
  thresholds: AnomalyThresholds;
  autoFreeze: boolean;
  /** How long a flag tightens the player's rate limit. */
  penaltyMs: number;
  pubsub: PubSub;
  webhook: AlertWebhook | null;
  metrics?: Metrics;
  log: FastifyBaseLogger;
  now?: () => number;
}

export interface IntegrityEvents {
  /** A new flag (this instance's): the admin dashboard's live feed. */
  flagged: [SuspiciousActivity & { frozen: boolean }];
}

/**
 * Turns the detectors' findings into consequences: a `suspicious_activity` row with the evidence, a
 * warning, `fraud_checks_total`, a tighter rate limit on every instance for FLAG_PENALTY_MS, the
 * optional webhook, and with AUTO_FREEZE a frozen account. Runs beside the score path, never in it.
 */
export class IntegrityService extends EventEmitter<IntegrityEvents> {
  readonly activity = new ActivityStats();
  private readonly detectors: AnomalyDetectors;
  private readonly penalties = new Map<string, number>();
  /** One flag per player and reason per window: the evidence is in the first row. */
  private readonly recentFlags = new Map<string, number>();
  private readonly now: () => number;
  private sweepTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(private readonly options: IntegrityServiceOptions) {
    super();
    this.detectors = new AnomalyDetectors(options.thresholds);
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.options.pubsub.subscribe(FLAGGED_CHANNEL, (raw) => {
      try {
        const { userId, untilMs } = JSON.parse(raw) as { userId: string; untilMs: number };
        this.penalties.set(userId, untilMs);
      } catch {
        // Not ours.
      }
    });
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(1000, Math.floor(this.options.thresholds.windowMs / 10)));
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.unsubscribe?.().catch(() => undefined);
    this.options.webhook?.stop();
  }

  /** True while a flag tightens the player's limit. */
  readonly isPenalized = (userId: string): boolean => {
    const until = this.penalties.get(userId);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.penalties.delete(userId);
    return false;
  };

  /** Feeds one attempt to the detectors and acts on what they find. */
  observe(attempt: ScoreAttemptEvent): void {
    this.activity.record(attempt.atMs, attempt.outcome);
    const findings = this.detectors.observe(attempt);
    const { metrics } = this.options;
    if (metrics && attempt.outcome === 'applied') {
      for (const check of ['score_velocity', 'max_score_share', 'regular_intervals', 'ip_burst'] as const) {
        if (!findings.some((finding) => CHECK_OF[finding.reason] === check)) metrics.fraudCheck(check, true);
      }
    }
    for (const finding of findings) {
      const key = `${attempt.userId}\u0000${finding.reason}`;
      const last = this.recentFlags.get(key);
      if (last !== undefined && attempt.atMs - last < this.options.thresholds.windowMs) continue;
      this.recentFlags.set(key, attempt.atMs);
      metrics?.fraudCheck(CHECK_OF[finding.reason], false);
      this.flag(attempt.userId, finding).catch((error: unknown) => this.options.log.error({ err: error }, 'recording a flag failed'));
    }
  }

  /** Forgets a player's statistics and penalty (erasure). */
  forget(userId: string): void {
    this.detectors.forget(userId);
    this.penalties.delete(userId);
  }

  /** The last `seconds` of traffic, for the dashboard. */
  activityWindow(seconds: number) {
    return this.activity.window(this.now(), seconds);
  }

  private async flag(userId: string, finding: Finding): Promise<void> {
    const { flags, accounts, log } = this.options;
    const untilMs = this.now() + this.options.penaltyMs;
    this.penalties.set(userId, untilMs);
    void this.options.pubsub.publish(FLAGGED_CHANNEL, JSON.stringify({ userId, untilMs }));
    const row = await flags.recordSuspicious(userId, finding.reason, finding.details);
    let frozen = false;
    if (this.options.autoFreeze) {
      frozen = await accounts.freeze(userId, { reason: `auto-frozen: ${finding.reason}` });
    }
    log.warn({ userId, reason: finding.reason, details: finding.details, frozen }, 'suspicious activity flagged');
    const event = { ...row, frozen };
    this.options.webhook?.send({ type: 'suspicious_activity', ...event, createdAt: row.createdAt.toISOString() });
    this.emit('flagged', event);
  }

  private sweep(): void {
    const now = this.now();
    this.detectors.sweep(now);
    for (const [key, at] of this.recentFlags) if (now - at >= this.options.thresholds.windowMs) this.recentFlags.delete(key);
    for (const [userId, until] of this.penalties) if (until <= now) this.penalties.delete(userId);
  }
}
