import type { AppliedScoreEvent } from '../scores/score-service.js';
import type { TopCause } from './leaderboard-broadcaster.js';
import type { LiveServer } from './live-server.js';
import { GLOBAL_BOARD_PERIOD, legacyMovePayload, legacyPayload, rankChangedPayload, type BoardPeriod, type RankMove } from './live-payloads.js';
import { rooms, type LivePeriod } from './realtime-events.js';

/** A player's entry on one board after their own write (an update feeding it, a direct submission). */
export interface OwnBoardEntry {
  boardId: string;
  period: LivePeriod;
  score: number;
  rank: number;
  /** Null for a first entry in the period. */
  previousRank: number | null;
}

/**
 * A player's own events: score:updated and rank:changed after their update, through the adapter
 * (their sockets may be on any instance), and their legacy twins.
 */
export function sendOwnUpdate(io: LiveServer, event: AppliedScoreEvent, cause: TopCause): void {
  const { userId } = event;
  io.to(rooms.user('v1', userId)).emit('score:updated', { userId, newScore: event.newScore, increment: event.increment });
  const moved = event.previousRank !== event.rank;
  if (moved) io.to(rooms.user('v1', userId)).emit('rank:changed', rankChangedPayload({ userId, newRank: event.rank, oldRank: event.previousRank, newScore: event.newScore }));
  const legacyRoom = io.to(rooms.user('legacy', userId));
  legacyRoom.emit('score_updated', legacyPayload('score_updated', cause, event.timestamp));
  if (moved) legacyRoom.emit('user_position_changed', legacyPayload('user_position_changed', cause, event.timestamp));
  sendOwnBoardMoves(io, userId, event.boards);
}

/**
 * rank:changed for every other board the player's own write moved them on (a first entry
 * included), through the adapter. Boards other than global have no legacy event.
 */
export function sendOwnBoardMoves(io: LiveServer, userId: string, entries: readonly OwnBoardEntry[]): void {
  for (const entry of entries) {
    if (entry.rank === entry.previousRank) continue;
    io.to(rooms.user('v1', userId)).emit('rank:changed', {
      userId,
      newRank: entry.rank,
      oldRank: entry.previousRank,
      newScore: entry.score,
      boardId: entry.boardId,
      period: entry.period,
    });
  }
}

/** A rank moved by others, to the player's sockets on this instance only (each instance watches its own). */
export function sendMove(io: LiveServer, move: RankMove, where: BoardPeriod = GLOBAL_BOARD_PERIOD): void {
  io.local.to(rooms.user('v1', move.userId)).emit('rank:changed', rankChangedPayload(move, where));
  if (where.boardId !== GLOBAL_BOARD_PERIOD.boardId) return;
  io.local.to(rooms.user('legacy', move.userId)).emit('user_position_changed', legacyMovePayload(move, new Date().toISOString()));
}

/** The rank a player's socket was just sent in a rank event, and on which board period, if the packet is one. */
export function rankToldIn(event: string, payload: unknown): { userId: string; rank: number; boardId: string; periodId: string } | null {
  if (event !== 'rank:changed' && event !== 'user_position_changed') return null;
  const { userId, newRank, boardId, period } = (payload ?? {}) as { userId?: unknown; newRank?: unknown; boardId?: unknown; period?: { id?: unknown } };
  if (typeof userId !== 'string' || typeof newRank !== 'number') return null;
  // The legacy event is the global board's.
  if (event === 'user_position_changed' || typeof boardId !== 'string') return { userId, rank: newRank, ...GLOBAL_REF };
  return { userId, rank: newRank, boardId, periodId: typeof period?.id === 'string' ? period.id : '' };
}

const GLOBAL_REF = { boardId: GLOBAL_BOARD_PERIOD.boardId, periodId: GLOBAL_BOARD_PERIOD.period.id };
