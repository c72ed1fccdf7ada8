import { Readable } from 'node:stream';
import type { ExportPage } from '../db/history-store.js';
import type { SuspiciousActivity } from '../db/integrity-store.js';
import type { Row } from '../db/sql-client.js';
import { AppError } from '../errors.js';
import type { RateLimiter } from '../integrity/rate-limiter.js';
import { ExportAdmission } from './user-export-admission.js';
import { exportDocument, keysetPages } from './user-export-document.js';

/** Exports streaming at once on one instance; more are refused (429) rather than crowd the database. */
export const EXPORT_MAX_IN_FLIGHT = 8;
/** History rows per page: one short indexed query each. */
export const EXPORT_PAGE_SIZE = 1000;
/** An export still streaming after this long (a client reading a trickle) is cut off, freeing its slot. */
export const EXPORT_MAX_DURATION_MS = 10 * 60_000;
/** What a client refused because an export is already running is told to wait. */
const EXPORT_BUSY_RETRY_AFTER_SEC = 5;

/** What an export starts from; the history and flags up to the ids given follow in pages. */
export interface ExportHead {
  user: Row;
  score: Row | null;
  boards: Array<{ boardId: string; period: string; score: number; lastUpdated: string }>;
  /** The last history id when the export began (0: none): later rows are not part of it. */
  historyUpToId: number;
  suspiciousUpToId: number;
}

/** The reads an export needs, one store per domain. */
export interface ExportSource {
  users: { userRow(userId: string): Promise<Row | null> };
  scores: { scoreRow(userId: string): Promise<Row | null> };
  history: { lastId(userId: string): Promise<number>; exportPage(userId: string, page: ExportPage): Promise<(Row & { id: number })[]> };
  integrity: { lastId(userId: string): Promise<number>; exportPage(userId: string, page: ExportPage): Promise<SuspiciousActivity[]> };
  boards: { entriesOfUser(userId: string): Promise<Array<{ boardId: string; periodId: string; score: number; lastUpdatedMs: number }>> };
}

export interface UserExportServiceOptions {
  store: ExportSource;
  /** Exports per user per hour (EXPORT_RATE_LIMIT_MAX_REQUESTS), shared across instances with Redis. */
  limiter: RateLimiter;
  /** @default EXPORT_MAX_IN_FLIGHT */
  maxInFlight?: number;
  /** @default EXPORT_PAGE_SIZE */
  pageSize?: number;
  /** @default EXPORT_MAX_DURATION_MS */
  maxDurationMs?: number;
}

/**
 * A user's right of access: everything stored about them as one JSON document, streamed as it is
 * read. Memory stays constant whatever the history's length (a page at a time, read only when
 * the client has taken the previous one), no transaction or connection is held between pages, and
 * the history is bounded to the rows that existed when the export began.
 */
export class UserExportService {
  private readonly store: ExportSource;
  private readonly limiter: RateLimiter;
  private readonly admission: ExportAdmission;
  private readonly pageSize: number;
  private readonly maxDurationMs: number;

  constructor(options: UserExportServiceOptions) {
    this.store = options.store;
    this.limiter = options.limiter;
    this.admission = new ExportAdmission(options.maxInFlight ?? EXPORT_MAX_IN_FLIGHT);
    this.pageSize = options.pageSize ?? EXPORT_PAGE_SIZE;
    this.maxDurationMs = options.maxDurationMs ?? EXPORT_MAX_DURATION_MS;
  }

  /** Exports streaming on this instance now. */
  get inFlight(): number {
    return this.admission.inFlight;
  }

  /**
   * Starts the export of `userId` and returns its document as a stream, or throws before any of
   * it is sent: 429 RATE_LIMIT_EXCEEDED (one in flight per user, a cap per instance, the hourly
   * limit) or 404 USER_NOT_FOUND. The slot is freed when the stream closes, however it ends.
   */
  async open(userId: string): Promise<Readable> {
    this.admit(userId);
    try {
      const limit = await this.limiter.consume(userId);
      if (!limit.allowed) {
        throw new AppError('RATE_LIMIT_EXCEEDED', 'Too many exports of this user; try again later', {
          retryAfterSec: Math.max(1, Math.ceil(limit.retryAfterMs / 1000)),
        });
      }
      const head = await this.head(userId);
      if (!head) throw new AppError('USER_NOT_FOUND', `User ${userId} not found`);
      return this.stream(userId, head);
    } catch (error) {
      this.admission.release(userId);
      throw error;
    }
  }

  /** The user and score rows, and where the history and flags end (the rows that exist now). */
  private async head(userId: string): Promise<ExportHead | null> {
    const { users, scores, history, integrity } = this.store;
    // The ends first: a row written while the head is read is then not part of the export.
    const [historyUpToId, suspiciousUpToId] = await Promise.all([history.lastId(userId), integrity.lastId(userId)]);
    const [user, score, entries] = await Promise.all([users.userRow(userId), scores.scoreRow(userId), this.store.boards.entriesOfUser(userId)]);
    const boards = entries.map((entry) => ({ boardId: entry.boardId, period: entry.periodId, score: entry.score, lastUpdated: new Date(entry.lastUpdatedMs).toISOString() }));
    return user ? { user, score, boards, historyUpToId, suspiciousUpToId } : null;
  }

  private admit(userId: string): void {
    const refusal = this.admission.admit(userId);
    if (refusal === null) return;
    const message = refusal === 'user-busy' ? 'An export of this user is already running' : 'Too many exports are running; try again shortly';
    throw new AppError('RATE_LIMIT_EXCEEDED', message, { retryAfterSec: EXPORT_BUSY_RETRY_AFTER_SEC });
  }

  private stream(userId: string, head: ExportHead): Readable {
    const history = keysetPages((afterId, limit) => this.store.history.exportPage(userId, { afterId, upToId: head.historyUpToId, limit }), this.pageSize);
    const flags = keysetPages((afterId, limit) => this.store.integrity.exportPage(userId, { afterId, upToId: head.suspiciousUpToId, limit }), this.pageSize);
    const opening = { exportedAt: new Date().toISOString(), user: head.user, score: head.score, boards: head.boards };
    // One piece buffered ahead at most: the next page is read only once the response has room.
    const document = Readable.from(exportDocument(opening, history, flags), { highWaterMark: 1 });
    const timer = setTimeout(() => document.destroy(new Error(`export still streaming after ${this.maxDurationMs} ms`)), this.maxDurationMs);
    timer.unref();
    document.once('close', () => {
      clearTimeout(timer);
      this.admission.release(userId);
    });
    return document;
  }
}
