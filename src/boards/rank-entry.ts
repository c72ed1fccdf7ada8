import { isUserId, USER_ID_RULE } from '../user-id.js';

/** One player's standing on a board, as every rank index stores it. */
export interface RankEntry {
  /** Printable ASCII, 1..255 characters (`src/user-id.ts`), so string order equals byte order. */
  userId: string;
  username: string | null;
  /** The score the index orders by, highest first: a safe integer (boards that rank lowest first store minus their score). */
  score: number;
  /** When the player reached this score, in whole milliseconds since the epoch: the tie-break. */
  lastUpdatedMs: number;
  /** Grows with every applied update of the player (their total actions): a write with an older version is ignored. */
  version: number;
}

export interface RankedEntry extends RankEntry {
  /** 1-based. */
  rank: number;
}

/** An entry as the API and every live event carry it. */
export interface LeaderboardEntry {
  rank: number;
  userId: string;
  username: string | null;
  score: number;
  /** ISO 8601: when the player reached this score. */
  lastUpdated: string;
}

export function toLeaderboardEntry(entry: RankedEntry): LeaderboardEntry {
  return {
    rank: entry.rank,
    userId: entry.userId,
    username: entry.username,
    score: entry.score,
    lastUpdated: new Date(entry.lastUpdatedMs).toISOString(),
  };
}

/**
 * The one leaderboard order: score descending, then whoever reached it first, then user id
 * ascending in byte order. SQL (`ORDER BY score DESC, last_updated ASC, user_id COLLATE "C" ASC`),
 * Redis and memory all follow it.
 */
export function compareEntries(a: RankEntry, b: RankEntry): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.lastUpdatedMs !== b.lastUpdatedMs) return a.lastUpdatedMs - b.lastUpdatedMs;
  return a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;
}

/** Largest `lastUpdatedMs` a rank index accepts: 15 digits, the width of the Redis member's time. */
export const MAX_LAST_UPDATED_MS = 999_999_999_999_999;

/** Refuses an entry that no index could hold exactly (every index calls it before writing). */
export function assertRankEntry(entry: RankEntry): void {
  if (!isUserId(entry.userId)) throw new RangeError(`userId must be ${USER_ID_RULE}`);
  if (entry.username !== null && typeof entry.username !== 'string') throw new RangeError('username must be a string or null');
  if (!Number.isSafeInteger(entry.score)) throw new RangeError('score must be a safe integer');
  if (!Number.isSafeInteger(entry.lastUpdatedMs) || entry.lastUpdatedMs < 0 || entry.lastUpdatedMs > MAX_LAST_UPDATED_MS) {
    throw new RangeError('lastUpdatedMs must be an integer in 0..999999999999999');
  }
  if (!Number.isSafeInteger(entry.version) || entry.version < 0) throw new RangeError('version must be a non-negative safe integer');
}

/** Refuses a page that is not two non-negative integers. */
export function assertPage(offset: number, limit: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError('offset must be a non-negative integer');
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError('limit must be a non-negative integer');
}
