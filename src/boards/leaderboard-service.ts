import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import type { RankEntry, RankedEntry } from './rank-entry.js';
import type { RankChange, RankIndex, RankView, RankWindow } from './rank-index.js';
import { RankIndexNotReadyError } from './rank-index-guarded.js';
import { OrderedRankIndex, rankKey, type RankOrder } from './ordered-rank-index.js';

/** The top of a board as last seen, and when it last changed. */
export interface TopSnapshot {
  entries: RankedEntry[];
  /** Epoch milliseconds of the last change this instance saw. */
  changedAtMs: number;
}

export interface LeaderboardPage {
  entries: RankedEntry[];
  /** True when served by the rank index, false when it had to fall back to SQL. */
  cacheHit: boolean;
  /**
   * For reads of the top: the snapshot they were cut from. It is replaced (never changed) when the
   * top changes, so whatever is derived from a page can be kept per snapshot.
   */
  snapshot?: TopSnapshot;
}

/** A board period's entries in SQL: what a ranking falls back to while its rank index cannot answer. */
export interface RankedEntriesSource {
  /** `limit` entries from the 0-based place `offset`, in board order. */
  pageAt(ref: { boardId: string; periodId: string }, offset: number, limit: number): Promise<RankEntry[]>;
  /** Entries placed before this position in board order (ascending `orderScore`, then time, then user id). */
  countBefore(ref: { boardId: string; periodId: string }, position: { orderScore: number; lastUpdatedMs: number; userId: string }): Promise<number>;
  count(ref: { boardId: string; periodId: string }): Promise<number>;
  streamEntries(ref: { boardId: string; periodId: string }): AsyncIterable<RankEntry[]>;
}

export interface LeaderboardServiceOptions {
  rankIndex: RankIndex;
  entries: RankedEntriesSource;
  log: FastifyBaseLogger;
  /** @default 'global' */
  boardId?: string;
  /** @default 'all' (a board that never resets) */
  periodId?: string;
  /** @default 'desc' */
  sortOrder?: RankOrder;
  /** How many entries make the "top" whose changes are tracked and broadcast. @default 10 */
  topSize?: number;
  now?: () => number;
}

export interface LeaderboardEvents {
  /** An update may have changed the top: cheap, emitted per update; listeners coalesce. */
  'top-dirty': [];
  /** The top this instance sees changed (after a refresh). */
  'top-changed': [TopSnapshot];
}

/** The longest a top read from memory may be old, in case another instance's message was lost. */
const TOP_MAX_AGE_MS = 2000;

/** Players per read of `ranksOf`: one round trip each, short enough not to hold Redis up. */
const RANKS_OF_BATCH = 1000;

function signature(entries: readonly RankEntry[]): string {
  return entries.map((entry) => `${entry.userId}\u0000${entry.score}\u0000${entry.username ?? ''}`).join('\u0001');
}

/**
 * Reads and ranks one board. The rank index answers first; SQL answers when it cannot
 * (Redis down), so reads degrade instead of failing. It also tracks the top of the board and
 * emits `top-changed` when it moves.
 */
export class LeaderboardService extends EventEmitter<LeaderboardEvents> {
  readonly boardId: string;
  readonly periodId: string;
  readonly sortOrder: RankOrder;
  readonly topSize: number;
  /** This board period of the shared rank index, in the board's order. */
  readonly index: OrderedRankIndex;
  private readonly entries: RankedEntriesSource;
  private readonly log: FastifyBaseLogger;
  private readonly now: () => number;
  private snapshot: TopSnapshot;
  private snapshotSignature = '';
  private refreshing: Promise<void> | null = null;
  /**
   * Counts the moments the top may have moved (updates, removals, other instances' messages). A read
   * of the top that started at generation g shows every change up to g; the snapshot is fresh when
   * the last completed read started at the current generation.
   */
  private dirtyGeneration = 1;
  private freshGeneration = 0;
  /** The generation the read that made the snapshot began at. */
  private observedGeneration = 0;
  private topReadAtMs = 0;
  private topFromIndex = false;

  constructor(options: LeaderboardServiceOptions) {
    super();
    this.entries = options.entries;
    this.log = options.log;
    this.boardId = options.boardId ?? 'global';
    this.periodId = options.periodId ?? 'all';
    this.sortOrder = options.sortOrder ?? 'desc';
    this.index = new OrderedRankIndex(options.rankIndex, rankKey(this.boardId, this.periodId), this.sortOrder);
    this.topSize = options.topSize ?? 10;
    this.now = options.now ?? Date.now;
    this.snapshot = { entries: [], changedAtMs: this.now() };
  }

  /**
   * Records a player's new standing after its commit and returns their rank after and before.
   * When the rank index fails, the rank comes from SQL (the rank before is then unknown) and the
   * index is left for the next rebuild to repair.
   */
  async record(entry: RankEntry): Promise<RankChange> {
    const [change] = await this.recordMany([entry]);
    return change!;
  }

  /** `record` for many players in one call (one round trip to the rank index), in order. */
  async recordMany(entries: readonly RankEntry[]): Promise<RankChange[]> {
    if (entries.length === 0) return [];
    let changes: RankChange[];
    try {
      changes = await this.index.upsertMany(entries);
    } catch (error) {
      this.indexFailed(error, 'rank index write failed; ranking from SQL');
      changes = await Promise.all(entries.map(async (entry) => ({ rank: await this.rankInSql(entry), previousRank: null })));
    }
    const topMoved = changes.some(
      (change) => change.rank <= this.topSize || (change.previousRank !== null && change.previousRank <= this.topSize),
    );
    if (topMoved) this.markTopDirty();
    return changes;
  }

  /** Forgets a player (erasure); the top is marked dirty so that views refresh. */
  async remove(userId: string): Promise<void> {
    await this.index.remove(userId);
    this.markTopDirty();
  }

  /** A page of the board in leaderboard order. */
  async page(offset: number, limit: number, observe = true): Promise<LeaderboardPage> {
    const generation = this.dirtyGeneration;
    try {
      const entries = await this.index.top(offset, limit);
      // A page of the top refreshes the snapshot too, unless a write overtook the read.
      if (observe && offset === 0 && limit >= this.topSize && generation === this.dirtyGeneration) {
        this.observeTop(entries.slice(0, this.topSize), generation);
      }
      return { entries, cacheHit: true };
    } catch (error) {
      this.indexFailed(error, 'rank index read failed; reading the leaderboard from SQL');
      const entries = await this.entries.pageAt(this.ref, offset, limit);
      return { entries: entries.map((entry, i) => ({ ...entry, rank: offset + i + 1 })), cacheHit: false };
    }
  }

  /**
   * One read of the index for a read route (size, a window, some players' entries), or null when
   * the index cannot answer (being rebuilt, Redis away, an ended period): the caller reads SQL.
   */
  async view(window: RankWindow | null, players: readonly string[] = []): Promise<RankView | null> {
    try {
      return await this.index.view(window, players);
    } catch (error) {
      this.indexFailed(error, 'rank index read failed; reading SQL');
      return null;
    }
  }

  /** The player's entry and rank in the index, or null when absent or when the index is unavailable. */
  async standingOf(userId: string): Promise<RankedEntry | null> {
    try {
      return await this.index.rankOf(userId);
    } catch (error) {
      this.indexFailed(error, 'rank index read failed');
      return null;
    }
  }

  /**
   * The entries and ranks of many players, read from the index RANKS_OF_BATCH at a time; players the
   * board does not hold are left out. Null when the index cannot answer (being rebuilt, Redis
   * away): there is no SQL fallback, since a caller polling many players would only load SQL.
   */
  async ranksOf(userIds: readonly string[]): Promise<Map<string, RankedEntry> | null> {
    const found = new Map<string, RankedEntry>();
    try {
      for (let first = 0; first < userIds.length; first += RANKS_OF_BATCH) {
        for (const ranked of await this.index.ranksOf(userIds.slice(first, first + RANKS_OF_BATCH))) {
          if (ranked) found.set(ranked.userId, ranked);
        }
      }
    } catch (error) {
      this.indexFailed(error, 'rank index read failed; ranks of many players skipped');
      return null;
    }
    return found;
  }

  /** The player's rank: from the index, else from SQL; a player with no score gets the rank they would hold. */
  async rankOf(userId: string, standing: Pick<RankEntry, 'score' | 'lastUpdatedMs'> | null): Promise<number> {
    try {
      const ranked = await this.index.rankOf(userId);
      if (ranked) return ranked.rank;
      if (!standing) return (await this.index.count()) + 1;
    } catch (error) {
      this.indexFailed(error, 'rank index read failed; ranking from SQL');
    }
    if (!standing) return (await this.entries.count(this.ref)) + 1;
    return this.rankInSql({ userId, ...standing });
  }

  /**
   * The current top, from a read that began after this call (another instance may have moved it).
   * Concurrent callers share reads: one flight at a time, and a caller that arrived during a flight
   * waits for the next one, so each call costs at most two reads however many writes keep coming.
   */
  async refreshTop(): Promise<TopSnapshot> {
    this.dirtyGeneration += 1;
    return this.freshTop(this.dirtyGeneration);
  }

  /** The top once a read that began at generation `wanted` or later has completed. */
  private async freshTop(wanted: number): Promise<TopSnapshot> {
    while (this.freshGeneration < wanted) {
      this.refreshing ??= this.readTop().finally(() => {
        this.refreshing = null;
      });
      await this.refreshing;
    }
    return this.snapshot;
  }

  private async readTop(): Promise<void> {
    const generation = this.dirtyGeneration;
    this.topReadAtMs = this.now();
    const { entries, cacheHit } = await this.page(0, this.topSize, false);
    this.topFromIndex = cacheHit;
    this.observeTop(entries, generation);
    this.freshGeneration = Math.max(this.freshGeneration, generation);
  }

  /** How many players the board ranks (from SQL when the index is unavailable). */
  async count(): Promise<number> {
    try {
      return await this.index.count();
    } catch (error) {
      this.indexFailed(error, 'rank index read failed; counting in SQL');
      return this.entries.count(this.ref);
    }
  }

  /**
   * The first `limit` (at most topSize) entries, from memory: re-read only when an update of this
   * instance may have moved the top, another instance said so (`markTopStale`), or the copy is older
   * than TOP_MAX_AGE_MS. Readers of the top, the busiest read, mostly cost no I/O at all.
   */
  async top(limit: number): Promise<LeaderboardPage> {
    if (this.now() - this.topReadAtMs > TOP_MAX_AGE_MS) this.markTopStale();
    if (this.freshGeneration < this.dirtyGeneration) await this.freshTop(this.dirtyGeneration);
    return { entries: this.snapshot.entries.slice(0, limit), cacheHit: this.topFromIndex, snapshot: this.snapshot };
  }

  /** Another instance moved the top: the next read of it goes to the index. */
  markTopStale(): void {
    this.dirtyGeneration += 1;
  }

  /** This instance's write may have moved the top: stale, and the broadcaster is told. */
  private markTopDirty(): void {
    this.dirtyGeneration += 1;
    this.emit('top-dirty');
  }

  /** The last top this instance saw, without I/O. */
  currentTop(): TopSnapshot {
    return this.snapshot;
  }

  /** Replaces the rank index's content with what SQL holds; returns the number of players. */
  async rebuild(): Promise<number> {
    const started = this.now();
    const count = await this.index.replaceAll(this.entries.streamEntries(this.ref));
    this.log.info({ board: this.boardId, period: this.periodId, players: count, ms: this.now() - started }, 'rank index rebuilt from the database');
    await this.refreshTop();
    return count;
  }

  /** This board period, as SQL names it. */
  get ref(): { boardId: string; periodId: string } {
    return { boardId: this.boardId, periodId: this.periodId };
  }

  /** The rank a standing holds in SQL (the fallback when the rank index is unavailable). */
  private async rankInSql(standing: Pick<RankEntry, 'userId' | 'score' | 'lastUpdatedMs'>): Promise<number> {
    const orderScore = this.sortOrder === 'desc' ? -standing.score : standing.score;
    return (await this.entries.countBefore(this.ref, { orderScore, lastUpdatedMs: standing.lastUpdatedMs, userId: standing.userId })) + 1;
  }

  /** A failure of the index is a warning, unless it is only being rebuilt (then every call says so). */
  private indexFailed(error: unknown, message: string): void {
    if (error instanceof RankIndexNotReadyError) this.log.debug({ err: error }, message);
    else this.log.warn({ err: error }, message);
  }

  /**
   * Takes `entries` (read from generation `generation` on) as the snapshot, unless a read that began
   * later already did: reads of the top may overlap, and an older one must not take the top (and the
   * next broadcast) back in time.
   */
  private observeTop(entries: RankedEntry[], generation: number): void {
    if (generation < this.observedGeneration) return;
    this.observedGeneration = generation;
    const next = signature(entries);
    if (next === this.snapshotSignature) return;
    this.snapshotSignature = next;
    this.snapshot = { entries, changedAtMs: this.now() };
    this.emit('top-changed', this.snapshot);
  }
}
