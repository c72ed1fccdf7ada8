import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import { duplicateAction, PROCESSED_ACTION_TTL_SEC, replayKey, writeUnlessReplayed } from '../action-id.js';
import type { Principal } from '../auth/principal.js';
import type { KeyValueCache } from '../cache/key-value-cache.js';
import { GroupCommit, type BatchResult } from '../group-commit.js';
import type { BoardFeed, FedBoardResult } from '../boards/board-feed-port.js';
import type { AppliedAction, AppliedUpdate, ScoreStore, ScoreUpdate, UpdateOutcome } from '../db/score-store.js';
import { AppError, forbidden } from '../errors.js';
import type { ScoreAttemptEvent } from '../score-attempt.js';
import type { RateLimiter } from '../integrity/rate-limiter.js';
import type { LeaderboardService } from '../boards/leaderboard-service.js';
import type { RankChange } from '../boards/rank-index.js';
import type { FraudCheck, Metrics } from '../metrics/metrics.js';
import type { UserProvisioner } from '../users/user-provisioner.js';
import type { ActionCatalogue } from './action-catalogue.js';
import { checkActionType, checkIncrement, checkTimestamp } from './score-rules.js';
import { userCacheKey } from './player-lookup.js';
import { verifySignatureWithKeys } from './signature.js';

/** A score update as the client sends it (the body of POST /api/v1/scores/update). */
export interface ScoreUpdateRequest {
  actionId: string;
  actionType: string;
  scoreIncrement: number;
  timestamp: string;
  /** Absent only when a game-server key vouches for the update (`RequestContext.apiKeyId`). */
  clientSignature?: string;
}

export interface RequestContext {
  ipAddress: string | null;
  userAgent: string | null;
  /**
   * The game-server key that sent the update (`Authorization: ApiKey`): the key is the proof, so no
   * clientSignature is checked, and the history row names the key.
   */
  apiKeyId?: string;
  /** How long the client says the action took (the compatibility API's metadata.duration), ms. */
  claimedDurationMs?: number;
}

export interface ScoreUpdateResult {
  userId: string;
  newScore: number;
  previousScore: number;
  /** 1-based, after the update. */
  rank: number;
  /** When the update was applied (ISO 8601). */
  timestamp: string;
  /** The boards besides `global` the update fed, with the player's entry and rank on each. */
  boards: FedBoardResult[];
}

/** What listeners learn of every applied update (live events, metrics, detectors). */
export interface AppliedScoreEvent extends ScoreUpdateResult {
  actionId: string;
  actionType: string;
  increment: number;
  /** Null when the player was not ranked before (first score) or when it is unknown. */
  previousRank: number | null;
}

export interface ScoreServiceOptions {
  actions: ActionCatalogue;
  timestampToleranceMs: number;
  hmacSecretKey: string;
  /** Also accepted while game builds move to `hmacSecretKey` (HMAC_SECRET_KEY_PREVIOUS). */
  hmacSecretKeyPrevious?: string;
  store: ScoreStore;
  leaderboard: LeaderboardService;
  users: UserProvisioner;
  /** Processed action ids, the fast path of the replay check. */
  replayCache: KeyValueCache;
  /** Cached user score lookups, dropped when the user's score changes. */
  userCache: KeyValueCache;
  userLimiter: RateLimiter;
  /** The tighter per-user limit of flagged players (FLAGGED_RATE_LIMIT_MAX_REQUESTS). */
  flaggedLimiter?: RateLimiter;
  /** Per client IP address across every user (`RATE_LIMIT_GLOBAL_MAX_REQUESTS`). */
  ipLimiter: RateLimiter;
  log: FastifyBaseLogger;
  metrics?: Metrics;
  now?: () => number;
  /** The boards updates feed besides `global`; none when absent. */
  boards?: BoardFeed;
  /** Group-commit batches written at once (1 where the database is one connection). @default 4 */
  writeConcurrency?: number;
}

export type { ScoreAttemptEvent };

export interface ScoreServiceEvents {
  /** After every applied update (its commit and its rank): live events, metrics, detectors. */
  applied: [AppliedScoreEvent];
  attempt: [ScoreAttemptEvent];
}

/** One update's answer from its batch: the outcome, and for an applied one its rank change. */
interface WrittenUpdate {
  outcome: UpdateOutcome;
  /** True when the replay cache knew the action id: nothing was sent to the database. */
  fromCache: boolean;
  change?: RankChange;
  /** The player's entries and ranks on the other boards the update fed. */
  boards?: FedBoardResult[];
}

/** Decides whether a player's limits are tightened (a flag); the integrity service answers. */
export type PenaltyCheck = (userId: string) => boolean;

export { PROCESSED_ACTION_TTL_SEC, replayKey };

/**
 * The write path: every check of DESIGN section 3 in its order, one atomic write, then the
 * caches and the rank index, in that order, only after the commit.
 */
export class ScoreService extends EventEmitter<ScoreServiceEvents> {
  private penalized: PenaltyCheck = () => false;
  /**
   * Concurrent updates of distinct players share one replay-cache read, one statement and one commit,
   * then one rank-index write and one cache write.
   */
  private readonly writes: GroupCommit<ScoreUpdate, WrittenUpdate>;

  constructor(private readonly options: ScoreServiceOptions) {
    super();
    this.writes = new GroupCommit({
      write: (updates) => this.writeBatch(updates),
      keys: (update) => [`user:${update.userId}`, `action:${update.actionId.toLowerCase()}`],
      concurrency: options.writeConcurrency,
      onBatch: (size) => options.metrics?.writeBatch(size),
    });
  }

  /** Who is under a tightened limit (set by the integrity service). */
  usePenalties(check: PenaltyCheck): void {
    this.penalized = check;
  }

  /**
   * Counts the attempt against the user's and the client address's limits. Runs before the body
   * is even parsed, so every attempt counts, malformed ones included. A game server's requests all
   * come from its one address: there `perAddress` is false and the key's own limit stands for it.
   */
  async admit(principal: Principal, ipAddress: string | null, limits: { perAddress: boolean } = { perAddress: true }): Promise<void> {
    const flaggedLimiter = this.penalized(principal.userId) ? this.options.flaggedLimiter : undefined;
    const [user, ip, flagged] = await Promise.all([
      this.options.userLimiter.consume(principal.userId),
      limits.perAddress ? this.options.ipLimiter.consume(ipAddress ?? 'unknown') : undefined,
      flaggedLimiter?.consume(principal.userId),
    ]);
    const refused =
      !user.allowed ? { scope: 'user' as const, result: user }
      : flagged && !flagged.allowed ? { scope: 'user' as const, result: flagged }
      : ip && !ip.allowed ? { scope: 'global' as const, result: ip }
      : null;
    this.options.metrics?.fraudCheck('rate_limit', refused === null);
    if (refused) {
      this.options.metrics?.rateLimited(refused.scope);
      this.emitAttempt(principal.userId, ipAddress, 'RATE_LIMIT_EXCEEDED');
      throw new AppError('RATE_LIMIT_EXCEEDED', 'Too many score updates; slow down', {
        details: { scope: refused.scope, retryAfterMs: refused.result.retryAfterMs },
        retryAfterSec: Math.max(1, Math.ceil(refused.result.retryAfterMs / 1000)),
      });
    }
  }

  /** Checks and applies one update for `principal`; throws an AppError for every refusal. */
  async submit(principal: Principal, request: ScoreUpdateRequest, context: RequestContext): Promise<ScoreUpdateResult> {
    // Timed on arrival, not after the write: database latency must not blur a client's rhythm.
    const atMs = (this.options.now ?? Date.now)();
    try {
      return await this.apply(principal, request, context, atMs);
    } catch (error) {
      if (error instanceof AppError) {
        const reason = (error.details as { reason?: unknown } | undefined)?.reason;
        this.emitAttempt(principal.userId, context.ipAddress, typeof reason === 'string' ? reason : error.code, atMs);
      }
      throw error;
    }
  }

  private emitAttempt(userId: string, ipAddress: string | null, outcome: string, atMs?: number, increment?: number, maxScore?: number): void {
    if (this.listenerCount('attempt') === 0) return;
    this.emit('attempt', { userId, atMs: atMs ?? (this.options.now ?? Date.now)(), ipAddress, outcome, increment, maxScore });
  }

  private async apply(principal: Principal, request: ScoreUpdateRequest, context: RequestContext, atMs: number): Promise<ScoreUpdateResult> {
    const { options } = this;
    const now = options.now ?? Date.now;
    const check = this.check;
    const { type, rule } = check('action_type', () => checkActionType(options.actions, request.actionType));
    check('increment', () => checkIncrement(rule, request.scoreIncrement));
    check('timestamp', () => checkTimestamp(request.timestamp, now(), options.timestampToleranceMs));
    if (context.apiKeyId === undefined) {
      check('signature', () => {
        if (request.clientSignature === undefined || !verifySignatureWithKeys({ current: options.hmacSecretKey, previous: options.hmacSecretKeyPrevious }, request, request.clientSignature)) {
          throw forbidden('INVALID_SIGNATURE', 'clientSignature does not match the request');
        }
      });
    }
    const claimed = context.claimedDurationMs;
    if (claimed !== undefined && claimed < rule.minDurationMs) {
      // A refusal: the replay check still comes first.
      const [cached] = await this.cachedActions([request.actionId]);
      check('replay', () => {
        if (cached) throw duplicateAction(principal.userId, cached);
      });
      check('claimed_duration', () => {
        throw forbidden('TOO_FAST', `This action cannot be completed in less than ${rule.minDurationMs} ms`, {
          duration: claimed,
          minDuration: rule.minDurationMs,
        });
      });
    }

    const update: ScoreUpdate = {
      // The user is created (or their claims refreshed) by the update's own statement.
      user: options.users.pending(principal),
      userId: principal.userId,
      actionId: request.actionId,
      actionType: type,
      increment: request.scoreIncrement,
      minDurationMs: rule.minDurationMs,
      ipAddress: context.ipAddress,
      userAgent: context.userAgent,
      apiKeyId: context.apiKeyId ?? null,
      boards: options.boards?.route(type, atMs) ?? [],
    };
    let submitted = update;
    let written = await this.writes.submit(submitted);
    if (written.outcome.kind === 'unknown-user') {
      // Erased since this instance last wrote them: write them again and retry once.
      options.users.forget(principal.userId);
      submitted = { ...update, user: options.users.pending(principal) };
      written = await this.writes.submit(submitted);
    }
    const { outcome } = written;
    if (!written.fromCache) {
      if (submitted.user) options.users.remember(principal);
      if (claimed !== undefined) options.metrics?.fraudCheck('claimed_duration', true);
    }
    const metrics = options.metrics;
    if (metrics) {
      const failed = outcomeCheck(outcome);
      if (failed) metrics.fraudCheck(failed, false);
      else for (const passed of ['replay', 'account_frozen', 'min_duration'] as const) metrics.fraudCheck(passed, true);
    }
    if (outcome.kind === 'duplicate' && !written.fromCache && outcome.original?.userId === principal.userId) {
      // The database knew the action but the replay cache did not: it was applied by an attempt
      // whose answer was lost (a timeout). Finish that attempt's work, so caches catch up.
      await this.repairAfterLostAnswer(principal.userId, request.actionId, outcome.original);
    }
    if (outcome.kind !== 'applied') throw refusal(principal, outcome);

    const appliedAt = new Date(outcome.lastUpdatedMs).toISOString();
    const { rank, previousRank } = written.change!;
    const result: ScoreUpdateResult = {
      userId: principal.userId,
      newScore: outcome.newScore,
      previousScore: outcome.previousScore,
      rank,
      timestamp: appliedAt,
      boards: written.boards ?? [],
    };
    this.emit('applied', { ...result, actionId: request.actionId, actionType: type, increment: request.scoreIncrement, previousRank });
    this.emitAttempt(principal.userId, context.ipAddress, 'applied', atMs, request.scoreIncrement, rule.maxScore);
    return result;
  }

  /**
   * One batch of the group commit: the replay cache for all of it, then one statement for those it
   * does not know, then the rank index and the caches for those applied (after the commit).
   */
  private async writeBatch(updates: ScoreUpdate[]): Promise<Array<BatchResult<WrittenUpdate>>> {
    const { options } = this;
    const cached = await this.cachedActions(updates.map((update) => update.actionId));
    const written = await writeUnlessReplayed(updates, cached, (items) => options.store.applyUpdates(items));
    const results: Array<BatchResult<WrittenUpdate>> = written.results;
    const applied = written.applied.map((i) => ({ i, update: updates[i]!, outcome: (results[i] as { value: WrittenUpdate }).value.outcome as AppliedUpdate }));
    if (applied.length === 0) return results;

    void this.afterCommit(applied.map(({ update, outcome }) => ({ userId: update.userId, actionId: update.actionId, newScore: outcome.newScore, appliedAtMs: outcome.lastUpdatedMs })));
    try {
      const changes = await options.leaderboard.recordMany(
        applied.map(({ update, outcome }) => ({
          userId: update.userId,
          username: outcome.username,
          score: outcome.newScore,
          lastUpdatedMs: outcome.lastUpdatedMs,
          version: outcome.totalActions,
        })),
      );
      const boards = await this.recordBoards(applied.map(({ update, outcome }) => ({ userId: update.userId, outcome })));
      applied.forEach(({ i, outcome }, k) => {
        results[i] = { ok: true, value: { outcome, fromCache: false, change: changes[k], boards: boards[k] } };
      });
    } catch (error) {
      // Committed, but no rank could be read (the index and SQL both failed): the retry with the same
      // actionId is answered from the database and repairs the index.
      for (const { i } of applied) results[i] = { ok: false, error };
    }
    return results;
  }

  /** Ranks the entries the batch wrote on other boards, per update; a failure costs only those ranks. */
  private async recordBoards(applied: Array<{ userId: string; outcome: AppliedUpdate }>): Promise<FedBoardResult[][]> {
    const feed = this.options.boards;
    const written = applied.flatMap(({ userId, outcome }) => outcome.boards.map((entry) => ({ ...entry, userId, username: outcome.username })));
    if (!feed || written.length === 0) return applied.map(() => []);
    const ranked = await feed.record(written);
    let next = 0;
    return applied.map(({ outcome }) => {
      const mine = ranked.slice(next, next + outcome.boards.length);
      next += outcome.boards.length;
      return mine;
    });
  }

  private async repairAfterLostAnswer(userId: string, actionId: string, original: AppliedAction): Promise<void> {
    try {
      const user = await this.options.store.getUserScore(userId);
      if (user && user.lastUpdatedMs !== null) {
        await this.options.leaderboard.record({ userId, username: user.username, score: user.score, lastUpdatedMs: user.lastUpdatedMs, version: user.version });
      }
      await this.afterCommit([{ userId, actionId, newScore: original.newScore, appliedAtMs: original.appliedAtMs }]);
    } catch (error) {
      this.options.log.warn({ err: error }, 'repairing caches after a lost answer failed');
    }
  }

  /** Runs one check and counts its result in fraud_checks_total. */
  private readonly check = <T>(name: FraudCheck, run: () => T): T => {
    try {
      const result = run();
      if (name !== 'replay') this.options.metrics?.fraudCheck(name, true);
      return result;
    } catch (error) {
      this.options.metrics?.fraudCheck(name, false);
      throw error;
    }
  };

  /** The replay cache's answers for many action ids (all unknown when the cache cannot be read). */
  private async cachedActions(actionIds: string[]): Promise<Array<AppliedAction | null>> {
    try {
      const values = await this.options.replayCache.getMany(actionIds.map(replayKey));
      return values.map((value) => (value ? (JSON.parse(value) as AppliedAction) : null));
    } catch (error) {
      // The cache is only the fast path: the database's unique action_id still refuses a replay.
      this.options.log.warn({ err: error }, 'replay cache read failed');
      return actionIds.map(() => null);
    }
  }

  /** Marks the actions processed and drops the users' cached scores; failures only cost cache misses. */
  private async afterCommit(applied: Array<AppliedAction & { actionId: string }>): Promise<void> {
    await Promise.all([
      this.options.replayCache.setMany(
        applied.map(({ actionId, userId, newScore, appliedAtMs }) => ({
          key: replayKey(actionId),
          value: JSON.stringify({ userId, newScore, appliedAtMs } satisfies AppliedAction),
        })),
        PROCESSED_ACTION_TTL_SEC,
      ),
      this.options.userCache.deleteMany(applied.map(({ userId }) => userCacheKey(userId))),
    ]).catch((error: unknown) => this.options.log.warn({ err: error }, 'cache write after commit failed'));
  }
}

/** The check a database outcome failed, if any. */
function outcomeCheck(outcome: UpdateOutcome): FraudCheck | null {
  switch (outcome.kind) {
    case 'duplicate':
      return 'replay';
    case 'frozen':
      return 'account_frozen';
    case 'too-fast':
      return 'min_duration';
    default:
      return null;
  }
}

function refusal(principal: Principal, outcome: Exclude<UpdateOutcome, { kind: 'applied' }>): AppError {
  switch (outcome.kind) {
    case 'duplicate':
      return duplicateAction(principal.userId, outcome.original);
    case 'frozen':
      return forbidden('ACCOUNT_FROZEN', 'This account is frozen');
    case 'too-fast':
      return forbidden('TOO_FAST', 'This action was completed too soon after the previous one', {
        retryAfterMs: outcome.retryAfterMs,
      });
    case 'score-overflow':
      return new AppError('SCORE_VALIDATION_FAILED', 'The score would exceed the largest score supported');
    case 'unknown-user':
      return new AppError('USER_NOT_FOUND', 'The user does not exist');
    case 'invalid':
      return new AppError('INVALID_REQUEST', `Invalid ${outcome.field}`, { details: { part: 'body', fields: [{ field: outcome.field, message: 'is invalid' }] } });
  }
}
