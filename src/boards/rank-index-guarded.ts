import type { Redis } from 'ioredis';
import type { RankEntry, RankedEntry } from './rank-entry.js';
import type { RankChange, RankIndex, RankView, RankWindow } from './rank-index.js';

/** The index is being (re)built: an expected state, answered from SQL meanwhile. */
export class RankIndexNotReadyError extends Error {
  constructor(boardId: string) {
    super(`rank index of board ${boardId} is not rebuilt yet (start, or since the Redis connection was re-established)`);
    this.name = 'RankIndexNotReadyError';
  }
}

/**
 * A rank index believed only once it has been rebuilt from SQL: at start (a rebuild of millions of
 * players takes seconds, and the server serves meanwhile) and, for Redis, after every lost
 * connection — the index may then lack the writes that failed meanwhile, or be empty (a restarted
 * Redis), until the rebuild that follows the reconnection (`registerCacheMaintenance`) is done.
 * Until then reads reject, so that `LeaderboardService` answers from SQL instead of serving a
 * partial board (and ranking a new score as 1st of an empty index); writes still reach the index
 * (a running rebuild keeps them), then reject so that the rank comes from SQL too. The index starts
 * untrusted: the rebuild at start makes it trusted.
 */
export class RebuildGuardedRankIndex implements RankIndex {
  /** Bumped whenever the connection is lost. */
  private generation = 0;
  /** Per board, the generation a successful rebuild started and ended in. */
  private readonly rebuiltIn = new Map<string, number>();

  constructor(
    private readonly inner: RankIndex,
    options: { lostWith?: Pick<Redis, 'on'> } = {},
  ) {
    options.lostWith?.on('close', () => {
      this.generation += 1;
    });
  }

  private assertTrusted(boardId: string): void {
    if (this.rebuiltIn.get(boardId) !== this.generation) {
      throw new RankIndexNotReadyError(boardId);
    }
  }

  async upsert(boardId: string, entry: RankEntry): Promise<RankChange> {
    const change = await this.inner.upsert(boardId, entry);
    this.assertTrusted(boardId);
    return change;
  }

  async upsertMany(boardId: string, entries: readonly RankEntry[]): Promise<RankChange[]> {
    const changes = await this.inner.upsertMany(boardId, entries);
    this.assertTrusted(boardId);
    return changes;
  }

  remove(boardId: string, userId: string): Promise<void> {
    return this.inner.remove(boardId, userId);
  }

  async rankOf(boardId: string, userId: string): Promise<RankedEntry | null> {
    this.assertTrusted(boardId);
    return this.inner.rankOf(boardId, userId);
  }

  async ranksOf(boardId: string, userIds: readonly string[]): Promise<(RankedEntry | null)[]> {
    this.assertTrusted(boardId);
    return this.inner.ranksOf(boardId, userIds);
  }

  async top(boardId: string, offset: number, limit: number): Promise<RankedEntry[]> {
    this.assertTrusted(boardId);
    return this.inner.top(boardId, offset, limit);
  }

  async count(boardId: string): Promise<number> {
    this.assertTrusted(boardId);
    return this.inner.count(boardId);
  }

  async view(boardId: string, window: RankWindow | null, players: readonly string[]): Promise<RankView> {
    this.assertTrusted(boardId);
    return this.inner.view(boardId, window, players);
  }

  async replaceAll(boardId: string, batches: AsyncIterable<RankEntry[]>): Promise<number> {
    const generation = this.generation;
    const count = await this.inner.replaceAll(boardId, batches);
    // A rebuild that outlived its connection may have missed writes made after it: not trusted.
    if (this.generation === generation) this.rebuiltIn.set(boardId, generation);
    return count;
  }
}
