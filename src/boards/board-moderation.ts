import type { Period } from './board-periods.js';
import type { BoardRankings } from './board-rankings.js';
import type { BoardRepository } from './board-repository.js';
import type { Board } from './board.js';

/**
 * Taking entries off boards: one entry (an admin's removal), a player from every board while hidden
 * (a freeze with `hide`) and back (the unfreeze), and an erased player's entries.
 */
export class BoardModeration {
  private readonly removedListeners: Array<(event: { board: Board; period: Period; userId: string }) => void> = [];

  constructor(
    private readonly repository: Pick<BoardRepository, 'removeEntry'>,
    private readonly rankings: BoardRankings,
  ) {}

  /** Someone wants to hear of removed entries (the global board's caches). */
  onRemoved(listener: (event: { board: Board; period: Period; userId: string }) => void): void {
    this.removedListeners.push(listener);
  }

  /** Removes the entry from SQL, then from the period's ranking; false when there was none. */
  async removeEntry(board: Board, period: Period, userId: string): Promise<boolean> {
    if (!(await this.repository.removeEntry({ boardId: board.id, periodId: period.id }, userId))) return false;
    await this.rankings.of(board, period).remove(userId);
    for (const listener of this.removedListeners) listener({ board, period, userId });
    return true;
  }

  /** The player leaves (true) or rejoins (false) every live ranking; SQL reads leave hidden players out themselves. */
  async setHidden(userId: string, hidden: boolean): Promise<void> {
    if (hidden) await this.rankings.removeUser(userId);
    else await this.rankings.restoreUser(userId);
  }

  /** An erased player's entries are gone from SQL (with the user row); their live ranks go too. */
  async erased(userId: string): Promise<void> {
    await this.rankings.removeUser(userId);
  }
}
