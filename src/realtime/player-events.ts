import type { AppliedScoreEvent } from '../scores/score-service.js';
import type { TopCause } from './leaderboard-broadcaster.js';
import type { LiveServer } from './live-server.js';
import { legacyMovePayload, legacyPayload, rankChangedPayload, type RankMove } from './live-payloads.js';
import { rooms } from './realtime-events.js';

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
}

/** A rank moved by others, to the player's sockets on this instance only (each instance watches its own). */
export function sendMove(io: LiveServer, move: RankMove): void {
  io.local.to(rooms.user('v1', move.userId)).emit('rank:changed', rankChangedPayload(move));
  io.local.to(rooms.user('legacy', move.userId)).emit('user_position_changed', legacyMovePayload(move, new Date().toISOString()));
}

/** The rank a player's socket was just sent in a rank event, if the packet is one. */
export function rankToldIn(event: string, payload: unknown): { userId: string; rank: number } | null {
  if (event !== 'rank:changed' && event !== 'user_position_changed') return null;
  const { userId, newRank } = (payload ?? {}) as { userId?: unknown; newRank?: unknown };
  return typeof userId === 'string' && typeof newRank === 'number' ? { userId, rank: newRank } : null;
}
