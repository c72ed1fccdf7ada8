import { AppError } from '../errors.js';
import type { LeaderboardService } from './leaderboard-service.js';
import type { RankedEntry } from './rank-entry.js';
import type { BoardCatalogue } from './board-catalogue.js';
import { boardJson, entryJson, periodJson } from './board-json.js';
import { isKept, periodNotFound, resolvePeriod } from './board-period-query.js';
import { PERIOD_ID_PATTERN, type Period } from './board-periods.js';
import type { BoardRankings } from './board-rankings.js';
import type { BoardEntry, BoardRepository, EntryPosition } from './board-repository.js';
import type { RankCursors } from './rank-cursor.js';
import type { Board, BoardRef } from './board.js';

export interface BoardReadsOptions {
  catalogue: BoardCatalogue;
  rankings: BoardRankings;
  repository: Pick<BoardRepository, 'page' | 'pageBefore' | 'entriesOf' | 'periodIds' | 'count'>;
  cursors: RankCursors;
}

function badQuery(field: string, message: string): AppError {
  return new AppError('INVALID_REQUEST', `${field} ${message}`, { details: { part: 'querystring', fields: [{ field, message }] } });
}

function positionOf(board: Board, entry: Pick<BoardEntry, 'score' | 'lastUpdatedMs' | 'userId'>): EntryPosition {
  return { orderScore: board.sortOrder === 'desc' ? -entry.score : entry.score, lastUpdatedMs: entry.lastUpdatedMs, userId: entry.userId };
}

const ranked = (entry: BoardEntry, rank: number): RankedEntry => ({ ...entry, rank });
const samePosition = (a: EntryPosition, b: EntryPosition) => a.orderScore === b.orderScore && a.lastUpdatedMs === b.lastUpdatedMs && a.userId === b.userId;
const refOf = (board: Board, period: Period): BoardRef => ({ boardId: board.id, periodId: period.id });

/**
 * The read routes of DESIGN section 11. A cursor names the last entry's place, so a page 900,000
 * entries deep costs what the first costs: the current period's pages, entries, windows and counts
 * come from its rank index (the cursor's entry located there), and from SQL by keyset when the index
 * cannot answer or the period has ended.
 */
export class BoardReads {
  constructor(private readonly options: BoardReadsOptions) {}

  /** The board, or 404; and the period a query names, or 404/400. */
  locate(boardId: string, asked?: string): { board: Board; period: Period } {
    const { catalogue, rankings } = this.options;
    const board = catalogue.require(boardId);
    const current = rankings.current(board).period;
    return { board, period: resolvePeriod(board, current, catalogue.scheduleOf(board), asked) };
  }

  async describe(board: Board) {
    const { period, ranking } = this.options.rankings.current(board);
    return boardJson(board, period, await ranking.count());
  }

  async list() {
    return { boards: await Promise.all(this.options.catalogue.list().map((board) => this.describe(board))) };
  }

  async entries(boardId: string, query: { period?: string; limit: number; cursor?: string }) {
    const { board, period } = this.locate(boardId, query.period);
    const ref = refOf(board, period);
    let after: (EntryPosition & { rank: number }) | null = null;
    if (query.cursor !== undefined) {
      after = this.options.cursors.decode(query.cursor, ref);
      if (!after) throw badQuery('cursor', 'is not a cursor of this board and period');
    }
    const ranking = this.options.rankings.of(board, period);
    const { rows, totalEntries } = await this.pageAfter(board, ref, ranking, after, query.limit + 1);
    const entries = rows.slice(0, query.limit);
    const last = entries[entries.length - 1];
    const nextCursor = rows.length > query.limit && last ? this.options.cursors.encode({ ...ref, ...positionOf(board, last), rank: last.rank }) : null;
    return { boardId: board.id, period: periodJson(period), entries: entries.map(entryJson), totalEntries, nextCursor };
  }

  /**
   * `limit` ranked entries after a cursor's place (from the top without one), and the board's size.
   * While the rank index holds the cursor's entry unchanged, one index read answers at any depth;
   * otherwise (the player moved, an ended period, the index away) SQL answers by keyset from the
   * cursor's place.
   */
  private async pageAfter(board: Board, ref: BoardRef, ranking: LeaderboardService, after: (EntryPosition & { rank: number }) | null, limit: number) {
    const view = await ranking.view(after ? { from: 'after', userId: after.userId, limit } : { from: 'offset', offset: 0, limit });
    if (view && (!after || (view.anchor && samePosition(positionOf(board, view.anchor), after)))) return { rows: view.page, totalEntries: view.total };
    const [rows, totalEntries] = await Promise.all([this.options.repository.page(ref, board.sortOrder, after, limit), view?.total ?? ranking.count()]);
    const firstRank = after ? after.rank + 1 : 1;
    return { rows: rows.map((entry, i) => ranked(entry, firstRank + i)), totalEntries };
  }

  /** The entries of these players (a friends view), in board order, each with its rank. */
  async friends(boardId: string, query: { period?: string; userId: readonly string[]; cursor?: string }) {
    if (query.cursor !== undefined) throw badQuery('cursor', 'cannot be combined with userId');
    const { board, period } = this.locate(boardId, query.period);
    const ranking = this.options.rankings.of(board, period);
    const ids = [...new Set(query.userId)];
    // The current period's index holds every entry: one read answers every friend, rank and the total.
    const view = await ranking.view(null, ids);
    const [entries, totalEntries] = view
      ? [view.players.filter((entry): entry is RankedEntry => entry !== null), view.total]
      : await Promise.all([this.friendsInSql(board, period, ranking, ids), ranking.count()]);
    entries.sort((a, b) => a.rank - b.rank);
    return { boardId: board.id, period: periodJson(period), entries: entries.map(entryJson), totalEntries, nextCursor: null };
  }

  private async friendsInSql(board: Board, period: Period, ranking: LeaderboardService, ids: string[]): Promise<RankedEntry[]> {
    const rows = await this.options.repository.entriesOf(refOf(board, period), ids);
    return Promise.all(rows.map(async (entry) => ranked(entry, await ranking.rankOf(entry.userId, entry))));
  }

  async entry(boardId: string, userId: string, asked?: string) {
    const { board, period, entry, totalEntries } = await this.entryOf(boardId, userId, asked);
    const topPercent = Math.min(100, Math.max(1, Math.ceil((100 * entry.rank) / Math.max(totalEntries, entry.rank))));
    return { boardId: board.id, period: periodJson(period), entry: entryJson(entry), totalEntries, topPercent };
  }

  /** `limit` consecutive entries holding the player, centred on them where the board allows. */
  async around(boardId: string, userId: string, query: { period?: string; limit: number }) {
    const { board, period } = this.locate(boardId, query.period);
    // From the index: the player, their window and the total in one read.
    const view = await this.options.rankings.of(board, period).view({ from: 'around', userId, limit: query.limit });
    if (view?.anchor) return { boardId: board.id, period: periodJson(period), entries: view.page.map(entryJson), totalEntries: view.total };
    const { entry, totalEntries } = await this.entryOf(boardId, userId, query.period);
    const window = await this.aroundInSql(board, period, entry, query.limit - 1);
    return { boardId: board.id, period: periodJson(period), entries: window.map(entryJson), totalEntries };
  }

  private async aroundInSql(board: Board, period: Period, entry: RankedEntry, others: number): Promise<RankedEntry[]> {
    const ref = refOf(board, period);
    const position = positionOf(board, entry);
    const [before, after] = await Promise.all([
      others > 0 ? this.options.repository.pageBefore(ref, board.sortOrder, position, others) : [],
      others > 0 ? this.options.repository.page(ref, board.sortOrder, position, others) : [],
    ]);
    const wantBefore = Math.floor(others / 2);
    const takeBefore = Math.min(before.length, Math.max(wantBefore, others - after.length));
    const takeAfter = Math.min(after.length, others - takeBefore);
    return [
      ...before.slice(0, takeBefore).map((row, i) => ranked(row, entry.rank - 1 - i)).reverse(),
      entry,
      ...after.slice(0, takeAfter).map((row, i) => ranked(row, entry.rank + 1 + i)),
    ];
  }

  /** The current period, then every kept period with entries, newest first, each with its top 3. */
  async periods(boardId: string, query: { limit: number; cursor?: string }) {
    const { catalogue, rankings, repository } = this.options;
    const board = catalogue.require(boardId);
    const schedule = catalogue.scheduleOf(board);
    const current = rankings.current(board).period;
    if (query.cursor !== undefined && (!PERIOD_ID_PATTERN.test(query.cursor) || query.cursor === 'all')) throw badQuery('cursor', 'is not a period cursor');
    const periods: Period[] = [];
    if (query.cursor === undefined) periods.push(current);
    const wanted = query.limit - periods.length;
    const beforeId = query.cursor ?? current.id;
    const ids = schedule && wanted > 0 ? await repository.periodIds(board.id, beforeId, wanted + 1) : [];
    for (const id of ids.slice(0, wanted)) {
      const period = schedule!.startingExactly(new Date(id));
      if (period && period.startsAt! < current.startsAt! && isKept(board, schedule!, period, current)) periods.push(period);
    }
    const described = await Promise.all(periods.map((period) => this.periodSummary(board, period)));
    const nextCursor = ids.length > wanted && periods.length > 0 ? periods[periods.length - 1]!.id : null;
    return { boardId: board.id, periods: described, nextCursor };
  }

  private async periodSummary(board: Board, period: Period) {
    const ref = refOf(board, period);
    const [top, totalEntries] = await Promise.all([this.options.repository.page(ref, board.sortOrder, null, 3), this.options.rankings.of(board, period).count()]);
    return { ...periodJson(period), totalEntries, top: top.map((entry, i) => entryJson(ranked(entry, i + 1))) };
  }

  /** The player's ranked entry: from the rank index when it holds them, else SQL; 404 without one. */
  private async entryOf(boardId: string, userId: string, asked: string | undefined) {
    const { board, period } = this.locate(boardId, asked);
    const ranking = this.options.rankings.of(board, period);
    const view = await ranking.view(null, [userId]);
    const standing = view?.players[0];
    if (view && standing) return { board, period, entry: standing, totalEntries: view.total };
    const [[row], totalEntries] = await Promise.all([this.options.repository.entriesOf(refOf(board, period), [userId]), view?.total ?? ranking.count()]);
    if (!row) throw new AppError('USER_NOT_FOUND', `"${userId.slice(0, 64)}" has no entry on board "${board.id}" in period ${period.id}`);
    return { board, period, entry: ranked(row, await ranking.rankOf(userId, row)), totalEntries };
  }
}

export { periodNotFound };
