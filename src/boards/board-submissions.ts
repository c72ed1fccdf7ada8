import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import { duplicateAction, PROCESSED_ACTION_TTL_SEC, replayKey, writeUnlessReplayed, type AppliedAction } from '../action-id.js';
import type { Principal } from '../auth/principal.js';
import type { KeyValueCache } from '../cache/key-value-cache.js';
import { checkTimestamp } from '../client-timestamp.js';
import { GroupCommit, type BatchResult } from '../group-commit.js';
import { AppError, forbidden } from '../errors.js';
import type { ScoreAttemptEvent } from '../score-attempt.js';
import type { BoardCatalogue } from './board-catalogue.js';
import { periodJson, type PeriodJson } from './board-json.js';
import type { Period } from './board-periods.js';
import type { BoardRankings } from './board-rankings.js';
import type { BoardRepository, BoardSubmission, SubmissionOutcome } from './board-repository.js';
import { verifySubmissionWithKeys } from './board-signature.js';
import { isOpenAt, takesSubmissions, type Board } from './board.js';

/** The body of POST /api/v1/boards/:boardId/scores. */
export interface SubmissionRequest {
  actionId: string;
  score: number;
  timestamp: string;
  /** Absent only when a game-server key vouches for the submission (`SubmissionContext.apiKeyId`). */
  clientSignature?: string;
}

/** Where a submission comes from. */
export interface SubmissionContext {
  ipAddress: string | null;
  userAgent: string | null;
  /** The game-server key that sent it: the key is the proof (no clientSignature checked); the history row names it. */
  apiKeyId?: string;
}

export interface SubmissionResult {
  userId: string;
  boardId: string;
  period: PeriodJson;
  score: number;
  previousScore: number | null;
  submitted: number;
  improved: boolean;
  rank: number;
}

/** What listeners hear of an accepted submission (live events, the detectors). */
export interface AppliedSubmissionEvent extends SubmissionResult {
  previousRank: number | null;
}

/** Users as submissions need them: created by the submission's own statement on first sight. */
export interface SubmissionUsers {
  pending(principal: Principal): { id: string; username: string | null; email: string | null } | null;
  remember(principal: Principal): void;
  forget(userId: string): void;
}

export interface BoardSubmissionsOptions {
  catalogue: BoardCatalogue;
  rankings: BoardRankings;
  repository: Pick<BoardRepository, 'applySubmissions'>;
  users: SubmissionUsers;
  /** Shared with score updates: one action-id namespace. */
  replayCache: KeyValueCache;
  /** For a closed board's answer, whose checks come after replay and frozen (DESIGN section 11). */
  lookups: { appliedAction(actionId: string): Promise<AppliedAction | null>; isFrozen(userId: string): Promise<boolean> };
  hmacSecretKey: string;
  /** Also accepted while game builds move to `hmacSecretKey` (HMAC_SECRET_KEY_PREVIOUS). */
  hmacSecretKeyPrevious?: string;
  timestampToleranceMs: number;
  log: FastifyBaseLogger;
  now?: () => number;
  writeConcurrency?: number;
}

export interface BoardSubmissionsEvents {
  applied: [AppliedSubmissionEvent];
  attempt: [ScoreAttemptEvent];
}

interface Written {
  outcome: SubmissionOutcome;
  fromCache: boolean;
  rank?: { rank: number; previousRank: number | null };
}

/**
 * Direct submissions to boards that take them: the checks of DESIGN section 11 in their order, then
 * one statement per group of concurrent submissions (each with its history row), then the rank index.
 */
export class BoardSubmissions extends EventEmitter<BoardSubmissionsEvents> {
  private readonly writes: GroupCommit<BoardSubmission & { period: Period; board: Board }, Written>;
  private readonly now: () => number;

  constructor(private readonly options: BoardSubmissionsOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.writes = new GroupCommit({
      write: (batch) => this.writeBatch(batch),
      keys: (submission) => [`entry:${submission.boardId}:${submission.periodId}:${submission.userId}`, `action:${submission.actionId.toLowerCase()}`],
      concurrency: options.writeConcurrency,
    });
  }

  async submit(principal: Principal, boardId: string, request: SubmissionRequest, context: SubmissionContext): Promise<SubmissionResult> {
    const atMs = this.now();
    try {
      return await this.apply(principal, boardId, request, context, atMs);
    } catch (error) {
      if (error instanceof AppError) {
        const reason = (error.details as { reason?: unknown } | undefined)?.reason;
        this.emitAttempt({ userId: principal.userId, atMs, ipAddress: context.ipAddress, outcome: typeof reason === 'string' ? reason : error.code });
      }
      throw error;
    }
  }

  private async apply(principal: Principal, boardId: string, request: SubmissionRequest, context: SubmissionContext, atMs: number): Promise<SubmissionResult> {
    const { options } = this;
    const board = options.catalogue.require(boardId);
    if (!takesSubmissions(board)) {
      throw forbidden('NOT_ALLOWED', board.actions === 'all' || board.actions.length > 0 ? `Board "${board.id}" is fed by action updates and takes no direct submissions` : 'This board takes no direct submissions');
    }
    checkScore(board, request.score);
    checkTimestamp(request.timestamp, atMs, options.timestampToleranceMs);
    const signed = context.apiKeyId !== undefined || (request.clientSignature !== undefined && verifySubmissionWithKeys({ current: options.hmacSecretKey, previous: options.hmacSecretKeyPrevious }, { ...request, boardId }, request.clientSignature));
    if (!signed) {
      throw forbidden('INVALID_SIGNATURE', 'clientSignature does not match the request');
    }
    if (!isOpenAt(board, atMs)) await this.refuseClosed(principal, board, request.actionId);
    const period = options.catalogue.periodAt(board, atMs);
    const submission = (user: BoardSubmission['user']) => ({
      userId: principal.userId,
      user,
      boardId,
      periodId: period.id,
      sortOrder: board.sortOrder,
      operator: board.operator,
      score: request.score,
      actionId: request.actionId,
      ipAddress: context.ipAddress,
      userAgent: context.userAgent,
      apiKeyId: context.apiKeyId ?? null,
      period,
      board,
    });
    let user = options.users.pending(principal);
    let written = await this.writes.submit(submission(user));
    if (written.outcome.kind === 'unknown-user') {
      options.users.forget(principal.userId);
      user = options.users.pending(principal);
      written = await this.writes.submit(submission(user));
    }
    if (!written.fromCache && user) options.users.remember(principal);
    const { outcome } = written;
    if (outcome.kind !== 'applied') throw refusal(principal, outcome);
    const result: SubmissionResult = {
      userId: principal.userId,
      boardId,
      period: periodJson(period),
      score: outcome.score,
      previousScore: outcome.previousScore,
      submitted: request.score,
      improved: outcome.improved,
      rank: written.rank!.rank,
    };
    this.emit('applied', { ...result, previousRank: written.rank!.previousRank });
    const change = outcome.previousScore === null ? Math.abs(outcome.score) : Math.abs(outcome.score - outcome.previousScore);
    this.emitAttempt({ userId: principal.userId, atMs, ipAddress: context.ipAddress, outcome: 'applied', increment: change, maxScore: Math.max(1, board.maxScore - board.minScore) });
    return result;
  }

  /** A closed board: a replay and a frozen account are still told first, as their checks come first. */
  private async refuseClosed(principal: Principal, board: Board, actionId: string): Promise<never> {
    const { lookups, replayCache } = this.options;
    const cached = await replayCache.get(replayKey(actionId)).catch(() => null);
    const original = cached ? (JSON.parse(cached) as AppliedAction) : await lookups.appliedAction(actionId);
    if (original) throw duplicateAction(principal.userId, original);
    if (await lookups.isFrozen(principal.userId)) throw forbidden('ACCOUNT_FROZEN', 'This account is frozen');
    throw forbidden('BOARD_CLOSED', `Board "${board.id}" takes scores only between its startsAt and endsAt`, {
      startsAt: board.startsAt?.toISOString() ?? null,
      endsAt: board.endsAt?.toISOString() ?? null,
    });
  }

  private async writeBatch(batch: Array<BoardSubmission & { period: Period; board: Board }>): Promise<Array<BatchResult<Written>>> {
    const cached = await this.cachedActions(batch.map((submission) => submission.actionId));
    const { results, applied } = await writeUnlessReplayed(batch, cached, (items) => this.options.repository.applySubmissions(items));
    await this.afterCommit(batch, results, applied);
    return results;
  }

  /** Marks the action ids processed, then ranks the changed entries (one call per board period). */
  private async afterCommit(batch: Array<BoardSubmission & { period: Period; board: Board }>, results: Array<BatchResult<Written>>, applied: number[]): Promise<void> {
    const outcomeOf = (i: number) => (results[i] as { ok: true; value: Written }).value.outcome as Extract<SubmissionOutcome, { kind: 'applied' }>;
    void this.options.replayCache
      .setMany(
        applied.map((i) => ({ key: replayKey(batch[i]!.actionId), value: JSON.stringify({ userId: batch[i]!.userId, newScore: outcomeOf(i).score, appliedAtMs: outcomeOf(i).lastUpdatedMs } satisfies AppliedAction) })),
        PROCESSED_ACTION_TTL_SEC,
      )
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'replay cache write failed'));
    const groups = new Map<string, number[]>();
    for (const i of applied) {
      const key = `${batch[i]!.boardId}\u0000${batch[i]!.periodId}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    }
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const { board, period } = batch[indexes[0]!]!;
        const entries = indexes.map((i) => ({ userId: batch[i]!.userId, username: outcomeOf(i).username, score: outcomeOf(i).score, lastUpdatedMs: outcomeOf(i).lastUpdatedMs, version: outcomeOf(i).version }));
        try {
          const changes = await this.options.rankings.of(board, period).recordMany(entries);
          indexes.forEach((i, k) => ((results[i] as { ok: true; value: Written }).value.rank = changes[k]));
        } catch (error) {
          for (const i of indexes) results[i] = { ok: false, error };
        }
      }),
    );
  }

  private async cachedActions(actionIds: string[]): Promise<Array<AppliedAction | null>> {
    try {
      const values = await this.options.replayCache.getMany(actionIds.map(replayKey));
      return values.map((value) => (value ? (JSON.parse(value) as AppliedAction) : null));
    } catch (error) {
      this.options.log.warn({ err: error }, 'replay cache read failed');
      return actionIds.map(() => null);
    }
  }

  private emitAttempt(attempt: ScoreAttemptEvent): void {
    if (this.listenerCount('attempt') > 0) this.emit('attempt', attempt);
  }
}

/** An integer within the board's [minScore, maxScore], or SCORE_VALIDATION_FAILED. */
function checkScore(board: Board, score: number): void {
  if (!Number.isSafeInteger(score) || score < board.minScore || score > board.maxScore) {
    throw new AppError('SCORE_VALIDATION_FAILED', `score must be an integer from ${board.minScore} to ${board.maxScore}`, {
      details: { score, min: board.minScore, max: board.maxScore },
    });
  }
}

function refusal(principal: Principal, outcome: Exclude<SubmissionOutcome, { kind: 'applied' }>): AppError {
  switch (outcome.kind) {
    case 'duplicate':
      return duplicateAction(principal.userId, outcome.original);
    case 'frozen':
      return forbidden('ACCOUNT_FROZEN', 'This account is frozen');
    case 'score-overflow':
      return new AppError('SCORE_VALIDATION_FAILED', 'The entry would exceed the largest score supported');
    case 'unknown-user':
      return new AppError('USER_NOT_FOUND', 'The user does not exist');
    case 'invalid':
      return new AppError('INVALID_REQUEST', `Invalid ${outcome.field}`, { details: { part: 'body', fields: [{ field: outcome.field, message: 'is invalid' }] } });
  }
}
