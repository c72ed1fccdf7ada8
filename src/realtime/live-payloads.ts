import type { Period } from '../boards/board-periods.js';
import { ALL_TIME } from '../boards/board-periods.js';
import type { TopSnapshot } from '../boards/leaderboard-service.js';
import { periodJson } from '../boards/board-json.js';
import { toLeaderboardEntry } from '../boards/rank-entry.js';
import type { TopCause } from './leaderboard-broadcaster.js';
import type { BoardUpdatePayload, LeaderboardUpdatePayload, LegacyEventPayload, LivePeriod, RankChangedPayload } from './realtime-events.js';

/** A move of one player's rank on one board period (a first entry has no rank before). */
export interface RankMove {
  userId: string;
  newRank: number;
  oldRank: number | null;
  newScore: number;
}

/** The board and period a rank:changed names; the global board never resets. */
export interface BoardPeriod {
  boardId: string;
  period: Period;
}

/** The global board's one period. */
export const GLOBAL_BOARD_PERIOD: BoardPeriod = { boardId: 'global', period: ALL_TIME };

export function snapshotPayload(snapshot: TopSnapshot, seq: number): LeaderboardUpdatePayload {
  return { leaderboard: snapshot.entries.map(toLeaderboardEntry), timestamp: new Date().toISOString(), seq };
}

/** rank:changed as DESIGN sections 5 and 11 give it. */
export function rankChangedPayload(move: RankMove, where: BoardPeriod = GLOBAL_BOARD_PERIOD): RankChangedPayload {
  return { userId: move.userId, newRank: move.newRank, oldRank: move.oldRank, newScore: move.newScore, boardId: where.boardId, period: livePeriod(where.period) };
}

/** The period object, exactly as REST answers carry it. */
export function livePeriod(period: Period): LivePeriod {
  return periodJson(period);
}

/** board:update: a board's top in one period, with that board's seq. */
export function boardUpdatePayload(boardId: string, period: Period, snapshot: TopSnapshot, seq: number): BoardUpdatePayload {
  return { boardId, period: livePeriod(period), leaderboard: snapshot.entries.map(toLeaderboardEntry), timestamp: new Date().toISOString(), seq };
}

/** The second specification's event; `cause` is the update behind it, when one is known. */
export function legacyPayload(event: LegacyEventPayload['event'], cause: TopCause | null, timestamp: string): LegacyEventPayload {
  return {
    event,
    userId: cause?.userId ?? null,
    newScore: cause?.newScore ?? null,
    scoreIncrease: cause?.increment ?? null,
    newRank: cause?.rank ?? null,
    timestamp,
  };
}

/** user_position_changed for a rank moved by others: the player's score did not increase. */
export function legacyMovePayload(move: RankMove, timestamp: string): LegacyEventPayload {
  return { event: 'user_position_changed', userId: move.userId, newScore: move.newScore, scoreIncrease: 0, newRank: move.newRank, timestamp };
}
