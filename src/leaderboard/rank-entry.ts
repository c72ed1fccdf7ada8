/** One player's standing on a board, as every rank index stores it. */
export interface RankEntry {
  /** ASCII, 1..128 characters (see `src/auth/claims.ts`), so string order equals byte order. */
  userId: string;
  username: string | null;
  /** Absolute score: a non-negative integer at most Number.MAX_SAFE_INTEGER. */
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
