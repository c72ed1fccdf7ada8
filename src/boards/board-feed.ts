import type { BoardFeed, FedBoardResult, WrittenBoardEntry } from './board-feed-port.js';
import type { FedBoard } from './board-repository.js';
import type { BoardCatalogue } from './board-catalogue.js';
import type { BoardRankings } from './board-rankings.js';
import { periodJson } from './board-json.js';
import { GLOBAL_BOARD_ID, isFedBy, isOpenAt, type Board } from './board.js';

/**
 * Routes an action update to the boards it feeds besides `global` (open now, `increment`, listing
 * its action type, in their current period) and ranks what the update's statement wrote there.
 */
export class ActionBoardFeed implements BoardFeed {
  private fedIndex: { boards: readonly Board[]; byType: Map<string, Board[]> } | null = null;

  constructor(
    private readonly catalogue: BoardCatalogue,
    private readonly rankings: BoardRankings,
  ) {
    catalogue.on('changed', () => {
      this.fedIndex = null;
    });
  }

  route(actionType: string, atMs: number): FedBoard[] {
    const fed: FedBoard[] = [];
    for (const board of this.boardsOf(actionType)) {
      if (!isOpenAt(board, atMs)) continue;
      fed.push({ boardId: board.id, periodId: this.catalogue.periodAt(board, atMs).id, sortOrder: board.sortOrder });
    }
    return fed;
  }

  async record(entries: readonly WrittenBoardEntry[]): Promise<FedBoardResult[]> {
    const groups = new Map<string, number[]>();
    entries.forEach((entry, i) => {
      const key = `${entry.boardId}\u0000${entry.periodId}`;
      const group = groups.get(key);
      if (group) group.push(i);
      else groups.set(key, [i]);
    });
    const results: FedBoardResult[] = new Array(entries.length);
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const first = entries[indexes[0]!]!;
        const board = this.catalogue.get(first.boardId);
        const period = board ? this.periodNamed(board, first.periodId, first.lastUpdatedMs) : null;
        const changes = board && period
          ? await this.rankings.of(board, period).recordMany(indexes.map((i) => entries[i]!))
          : indexes.map(() => ({ rank: 1, previousRank: null }));
        indexes.forEach((i, k) => {
          const entry = entries[i]!;
          const shown = period ?? { id: entry.periodId, startsAt: null, endsAt: null };
          results[i] = { boardId: entry.boardId, period: periodJson(shown), score: entry.score, rank: changes[k]!.rank, previousRank: changes[k]!.previousRank };
        });
      }),
    );
    return results;
  }

  /** The period an entry was written in: the one holding its time, if it has that id. */
  private periodNamed(board: Board, periodId: string, atMs: number) {
    const period = this.catalogue.periodAt(board, atMs);
    if (period.id === periodId) return period;
    const schedule = this.catalogue.scheduleOf(board);
    return schedule?.startingExactly(new Date(periodId)) ?? null;
  }

  private boardsOf(actionType: string): readonly Board[] {
    const boards = this.catalogue.list();
    if (!this.fedIndex || this.fedIndex.boards.length !== boards.length) this.fedIndex = { boards, byType: new Map() };
    let fed = this.fedIndex.byType.get(actionType);
    if (!fed) {
      fed = boards.filter((board) => board.id !== GLOBAL_BOARD_ID && board.operator === 'increment' && board.actions !== 'all' && isFedBy(board, actionType));
      this.fedIndex.byType.set(actionType, fed);
    }
    return fed;
  }
}
