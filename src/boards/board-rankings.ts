import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import { LeaderboardService, type RankedEntriesSource } from './leaderboard-service.js';
import type { RankEntry, RankedEntry } from './rank-entry.js';
import type { RankChange, RankIndex, RankView } from './rank-index.js';
import { RankIndexNotReadyError } from './rank-index-guarded.js';
import type { BoardCatalogue } from './board-catalogue.js';
import type { Period } from './board-periods.js';
import { GLOBAL_BOARD_ID, type Board, type BoardRef } from './board.js';

export interface BoardRankingsOptions {
  catalogue: BoardCatalogue;
  rankIndex: RankIndex;
  entries: RankedEntriesSource & { entriesOfUser(userId: string): Promise<Array<RankEntry & BoardRef>> };
  /** The global board's ranking (the one `/api/v1/scores/leaderboard` and the live top read). */
  global: LeaderboardService;
  log: FastifyBaseLogger;
  now?: () => number;
}

export interface BoardRankingsEvents {
  /** A board's current period ended: `current` is the one that began. */
  rollover: [{ board: Board; ended: Period; current: Period; ranking: LeaderboardService }];
  /** A live ranking was made (a new board, or a board's new period). */
  created: [{ board: Board; ranking: LeaderboardService }];
}

interface LiveRanking {
  board: Board;
  period: Period;
  ranking: LeaderboardService;
}

/** An index that never answers: rankings of ended periods read SQL only (their sets are dropped). */
class UnindexedRankIndex implements RankIndex {
  private refuse(boardId: string): never {
    throw new RankIndexNotReadyError(boardId);
  }
  upsert(boardId: string): Promise<RankChange> {
    return Promise.reject(new RankIndexNotReadyError(boardId));
  }
  upsertMany(boardId: string): Promise<RankChange[]> {
    return Promise.reject(new RankIndexNotReadyError(boardId));
  }
  async remove(): Promise<void> {}
  async rankOf(boardId: string): Promise<RankedEntry | null> {
    return this.refuse(boardId);
  }
  async top(boardId: string): Promise<RankedEntry[]> {
    return this.refuse(boardId);
  }
  async count(boardId: string): Promise<number> {
    return this.refuse(boardId);
  }
  async ranksOf(boardId: string): Promise<(RankedEntry | null)[]> {
    return this.refuse(boardId);
  }
  async view(boardId: string): Promise<RankView> {
    return this.refuse(boardId);
  }
  async replaceAll(): Promise<number> {
    return 0;
  }
}

async function* nothing(): AsyncIterable<RankEntry[]> {}

/**
 * One ranking per board's current period (rank index first, SQL when it cannot answer), made when
 * a board appears and replaced when its period ends, the ended period's set being dropped (its reads
 * come from SQL). Ended periods are ranked from SQL alone.
 */
export class BoardRankings extends EventEmitter<BoardRankingsEvents> {
  private readonly live = new Map<string, LiveRanking>();
  private readonly unindexed = new UnindexedRankIndex();
  private readonly now: () => number;
  private maintained = false;

  constructor(private readonly options: BoardRankingsOptions) {
    super();
    this.now = options.now ?? Date.now;
    options.catalogue.on('changed', ({ added, removed, updated }) => {
      for (const id of removed) this.drop(id);
      for (const board of updated) {
        const held = this.live.get(board.id);
        if (held) held.board = board;
      }
      // Before the first rebuild of all, that rebuild covers them.
      if (this.maintained) for (const board of added) void this.rebuild(this.current(board).ranking, 'new board');
    });
  }

  /** The ranking of the board's current period (a new one when the period just changed). */
  current(board: Board): LiveRanking {
    if (board.id === GLOBAL_BOARD_ID) return this.globalRanking(board);
    const period = this.options.catalogue.periodAt(board, this.now());
    const held = this.live.get(board.id);
    if (held && held.period.id === period.id) return held;
    if (held && held.period.startsAt && period.startsAt && period.startsAt < held.period.startsAt) return held;
    const ranking = this.make(board, period.id, this.options.rankIndex);
    const next: LiveRanking = { board, period, ranking };
    this.live.set(board.id, next);
    if (held) {
      // The ended period's set goes; its entries stay in SQL, which answers its reads from now on.
      void held.ranking.index.replaceAll(nothing()).catch((error: unknown) => this.options.log.warn({ err: error }, 'dropping an ended period from the rank index failed'));
      void this.rebuild(ranking, 'new period');
      this.emit('rollover', { board, ended: held.period, current: period, ranking });
    } else {
      this.emit('created', { board, ranking });
    }
    return next;
  }

  /** The ranking of one period: the live one for the current period, SQL alone for the others. */
  of(board: Board, period: Period): LeaderboardService {
    const live = this.current(board);
    if (live.period.id === period.id) return live.ranking;
    return this.make(board, period.id, this.unindexed);
  }

  /** Every live ranking (one per board, the global one included). */
  all(): LiveRanking[] {
    for (const board of this.options.catalogue.list()) this.current(board);
    return [...this.live.values()].filter((held) => this.options.catalogue.get(held.board.id));
  }

  /** Rebuilds every board's current period from SQL, one board at a time; returns the players read. */
  async rebuildAll(why: string): Promise<number> {
    this.maintained = true;
    let players = 0;
    for (const { ranking } of this.all()) players += await this.rebuild(ranking, why);
    return players;
  }

  /** Takes a player off every live ranking (erasure, a freeze with `hide`). */
  async removeUser(userId: string): Promise<void> {
    await Promise.all(this.all().map(({ ranking }) => ranking.remove(userId)));
  }

  /** Puts a player's entries back on the live rankings (an unfreeze), as SQL holds them. */
  async restoreUser(userId: string): Promise<void> {
    const entries = await this.options.entries.entriesOfUser(userId);
    await Promise.all(
      this.all().map(async ({ board, period, ranking }) => {
        const entry = entries.find((candidate) => candidate.boardId === board.id && candidate.periodId === period.id);
        if (entry) await ranking.record(entry);
      }),
    );
  }

  private globalRanking(board: Board): LiveRanking {
    let held = this.live.get(GLOBAL_BOARD_ID);
    if (!held) {
      held = { board, period: { id: 'all', startsAt: null, endsAt: null }, ranking: this.options.global };
      this.live.set(GLOBAL_BOARD_ID, held);
    }
    return held;
  }

  private make(board: Board, periodId: string, rankIndex: RankIndex): LeaderboardService {
    return new LeaderboardService({
      rankIndex,
      entries: this.options.entries,
      log: this.options.log,
      boardId: board.id,
      periodId,
      sortOrder: board.sortOrder,
      now: this.now,
    });
  }

  private async rebuild(ranking: LeaderboardService, why: string): Promise<number> {
    try {
      return await ranking.rebuild();
    } catch (error) {
      this.options.log.warn({ err: error, board: ranking.boardId, why }, 'rank index rebuild failed');
      return 0;
    }
  }

  private drop(boardId: string): void {
    const held = this.live.get(boardId);
    if (!held || boardId === GLOBAL_BOARD_ID) return;
    this.live.delete(boardId);
    void held.ranking.index.replaceAll(nothing()).catch(() => undefined);
  }
}
