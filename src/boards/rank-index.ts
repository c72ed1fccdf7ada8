import type { RankEntry, RankedEntry } from './rank-entry.js';

/** A player's rank after an upsert, and before it (null when the board did not hold them). */
export interface RankChange {
  rank: number;
  previousRank: number | null;
}

/** The only board today; every key and call is parameterised by a board id so that more can follow. */
export const GLOBAL_BOARD = 'global';

/**
 * Ranks of players on boards: a player's rank and a page of the board in O(log N).
 * Implementations: `rank-index-memory.ts` (in process) and `rank-index-redis.ts` (a sorted set),
 * both held to `test/contracts/rank-index-contract.ts`.
 */
export interface RankIndex {
  /**
   * Writes the player's absolute standing unless the index already holds the same or a newer
   * `version` for them (a late or repeated write never lowers a score). Returns the player's
   * 1-based rank after the call and before it (equal when the write was ignored). Rejects with a RangeError an entry that breaks the rules of
   * `RankEntry` (and a `lastUpdatedMs` above 999999999999999), since it could not be ordered exactly.
   */
  upsert(boardId: string, entry: RankEntry): Promise<RankChange>;
  /**
   * `upsert` of each entry in order, in one call (one round trip in Redis): each change is the
   * entry's rank right after its own write. Rejects with a RangeError, writing nothing, when any
   * entry breaks the rules of `RankEntry`.
   */
  upsertMany(boardId: string, entries: readonly RankEntry[]): Promise<RankChange[]>;
  /** Forgets a player (erasure). */
  remove(boardId: string, userId: string): Promise<void>;
  /** The player's 1-based rank and entry, or null when the board does not hold them. */
  rankOf(boardId: string, userId: string): Promise<RankedEntry | null>;
  /**
   * `rankOf` of many players at once (one round trip per 1000 in Redis): the answers in the order
   * of `userIds`, null for a player the board does not hold.
   */
  ranksOf(boardId: string, userIds: readonly string[]): Promise<(RankedEntry | null)[]>;
  /** `limit` entries starting at the 0-based `offset`, in leaderboard order; offset and limit are non-negative integers. */
  top(boardId: string, offset: number, limit: number): Promise<RankedEntry[]>;
  /** How many players the board holds. */
  count(boardId: string): Promise<number>;
  /**
   * Replaces the board's whole content with what `batches` yields (a rebuild from the database).
   * Readers see the old content until the new one is complete. Upserts and removes that reach the
   * index while it runs survive the swap (newer version wins, removals stick); a player listed twice
   * resolves like two upserts; when two rebuilds of one board overlap, the one started last wins.
   * Returns the number of distinct players read from the batches.
   */
  replaceAll(boardId: string, batches: AsyncIterable<RankEntry[]>): Promise<number>;
}
