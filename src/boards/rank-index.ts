import { assertPage, type RankEntry, type RankedEntry } from './rank-entry.js';

/** A player's rank after an upsert, and before it (null when the board did not hold them). */
export interface RankChange {
  rank: number;
  previousRank: number | null;
}

/**
 * Where the page of a `view` starts: at a 0-based offset, right after the anchor player, or around
 * them (the window of `limit` entries holding them, centred where the board allows).
 */
export type RankWindow = { from: 'offset'; offset: number; limit: number } | { from: 'after' | 'around'; userId: string; limit: number };

/** What one `view` read answers. */
export interface RankView {
  /** How many players the board holds. */
  total: number;
  /** The window's anchor player with their rank (null without an anchor, or when the board does not hold them). */
  anchor: RankedEntry | null;
  /** The window's entries in leaderboard order (empty when its anchor is not held). */
  page: RankedEntry[];
  /** The `players` asked for, in that order, null for those the board does not hold. */
  players: (RankedEntry | null)[];
}

/** Most `players` one `view` may ask for. */
export const VIEW_MAX_PLAYERS = 1000;

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
   * One consistent read (one round trip in Redis) of what a read route needs: the board's size, a
   * window of entries (from an offset, or after or around an anchor player) and the ranked entries
   * of up to VIEW_MAX_PLAYERS players. `window` null reads no page. Rejects with a RangeError a
   * window whose offset or limit is not a non-negative integer, or too many players.
   */
  view(boardId: string, window: RankWindow | null, players: readonly string[]): Promise<RankView>;
  /**
   * Replaces the board's whole content with what `batches` yields (a rebuild from the database).
   * Readers see the old content until the new one is complete. Upserts and removes that reach the
   * index while it runs survive the swap (newer version wins, removals stick); a player listed twice
   * resolves like two upserts; when two rebuilds of one board overlap, the one started last wins.
   * Returns the number of distinct players read from the batches.
   */
  replaceAll(boardId: string, batches: AsyncIterable<RankEntry[]>): Promise<number>;
}

/** Refuses a `view` no index could answer (every index calls it before reading). */
export function assertView(window: RankWindow | null, players: readonly string[]): void {
  if (window) assertPage(window.from === 'offset' ? window.offset : 0, window.limit);
  if (players.length > VIEW_MAX_PLAYERS) throw new RangeError(`at most ${VIEW_MAX_PLAYERS} players per view`);
}

/**
 * The 0-based offset a window starts at, given its anchor's 1-based rank (null when not held) and
 * the board's size; null when there is no page to read. Around: `limit` entries holding the
 * anchor, as many before as after it where the board allows (one more after when even).
 */
export function windowOffset(window: RankWindow, anchorRank: number | null, total: number): number | null {
  if (window.from === 'offset') return window.offset;
  if (anchorRank === null) return null;
  if (window.from === 'after') return anchorRank;
  const before = Math.floor((window.limit - 1) / 2);
  return Math.max(0, Math.min(anchorRank - 1 - before, total - window.limit));
}
