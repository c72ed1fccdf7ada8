import type { RankEntry, RankedEntry } from './rank-entry.js';
import type { RankChange, RankIndex, RankView, RankWindow } from './rank-index.js';

/** Which way a board ranks: highest score first (`desc`) or lowest first (`asc`, lap times). */
export type RankOrder = 'desc' | 'asc';

/** The key of one board period in a rank index: the board id, and the period's start when it resets. */
export function rankKey(boardId: string, periodId: string): string {
  return periodId === 'all' ? boardId : `${boardId}@${periodId}`;
}

/**
 * One board period of a rank index, in its board's order. Every index ranks highest first, so a
 * board ranking lowest first is stored with its scores negated: the same tie-break (who reached
 * the score first, then user id) then holds in both orders. Callers see the real scores.
 */
export class OrderedRankIndex {
  private readonly sign: 1 | -1;

  constructor(
    private readonly index: RankIndex,
    readonly key: string,
    readonly order: RankOrder,
  ) {
    this.sign = order === 'desc' ? 1 : -1;
  }

  private stored(entry: RankEntry): RankEntry {
    return this.sign === 1 ? entry : { ...entry, score: -entry.score };
  }

  private real<T extends RankEntry>(entry: T): T {
    return this.sign === 1 ? entry : { ...entry, score: -entry.score };
  }

  upsertMany(entries: readonly RankEntry[]): Promise<RankChange[]> {
    return this.index.upsertMany(this.key, entries.map((entry) => this.stored(entry)));
  }

  remove(userId: string): Promise<void> {
    return this.index.remove(this.key, userId);
  }

  async rankOf(userId: string): Promise<RankedEntry | null> {
    const ranked = await this.index.rankOf(this.key, userId);
    return ranked && this.real(ranked);
  }

  async ranksOf(userIds: readonly string[]): Promise<(RankedEntry | null)[]> {
    return (await this.index.ranksOf(this.key, userIds)).map((ranked) => ranked && this.real(ranked));
  }

  async top(offset: number, limit: number): Promise<RankedEntry[]> {
    return (await this.index.top(this.key, offset, limit)).map((entry) => this.real(entry));
  }

  count(): Promise<number> {
    return this.index.count(this.key);
  }

  async view(window: RankWindow | null, players: readonly string[]): Promise<RankView> {
    const view = await this.index.view(this.key, window, players);
    if (this.sign === 1) return view;
    return { total: view.total, anchor: view.anchor && this.real(view.anchor), page: view.page.map((entry) => this.real(entry)), players: view.players.map((entry) => entry && this.real(entry)) };
  }

  replaceAll(batches: AsyncIterable<RankEntry[]>): Promise<number> {
    const stored = (entry: RankEntry) => this.stored(entry);
    return this.index.replaceAll(
      this.key,
      (async function* () {
        for await (const batch of batches) yield batch.map(stored);
      })(),
    );
  }
}
